//! One call of any operation with its input and output as JSON: the input is read into the
//! operation's typed input, sent with openivs-client, and the typed output written back as JSON.
//! The match over all 46 operations is expanded from `for_each_operation!`.

use openivs_client::types::*;
use openivs_client::{Client, OperationError, SdkError};
use serde_json::Value;

use crate::error::Failure;

fn typed<T: serde::de::DeserializeOwned>(input: Value) -> Result<T, Failure> {
    serde_json::from_value(input).map_err(|e| Failure::usage(format!("Parameter validation failed: {e}")))
}

fn failure<E: OperationError>(client: &Client, op: Operation, err: SdkError<E>) -> Failure {
    Failure::call(op, client.config().endpoint_url(), err.map_service_error(E::into_service_error))
}

macro_rules! calls {
    ($( ($op:ident, $snake:ident, $input:ty, $output:ty) ),* $(,)?) => {
        /// Sends `input`, the JSON of `op`'s input structure, and returns the output as JSON (`null`
        /// for operations without output).
        pub async fn call(client: &Client, op: Operation, input: Value) -> Result<Value, Failure> {
            match op {
                $(Operation::$op => {
                    let input: $input = typed(input)?;
                    let output = client.send(input).await.map_err(|e| failure(client, op, e))?;
                    serde_json::to_value(output)
                        .map_err(|e| Failure::other(format!("the output of {} is not JSON: {e}", stringify!($op))))
                })*
            }
        }
    };
}

openivs_model::for_each_operation!(calls);
