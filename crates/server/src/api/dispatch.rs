//! Calls the domain method of an operation: typed input from JSON, the model's constraints, the call,
//! and the output as JSON. Expanded from the generated operation list, so an operation of the model
//! without a `Service` method does not compile.

use super::error::ApiError;
use super::input::decode;
use crate::control::{Ctx, Service};
use openivs_model::*;

fn encode<T: serde::Serialize>(out: &T) -> Result<Vec<u8>, ApiError> {
    serde_json::to_vec(out).map_err(|e| ApiError::from(crate::control::DomainError::Internal(e.to_string())))
}

macro_rules! dispatch_operations {
    ($(($op:ident, $method:ident, $input:ty, $output:ty)),* $(,)?) => {
        /// Runs `op` with its JSON input; returns the JSON output (ignored for 204 operations).
        pub async fn dispatch(svc: &Service, ctx: &Ctx, op: Operation, input: serde_json::Value) -> Result<Vec<u8>, ApiError> {
            match op {
                $(Operation::$op => {
                    let input: $input = decode(input)?;
                    input.validate().map_err(|e| ApiError::validation(e.to_string()))?;
                    let out: $output = svc.$method(ctx, input).await?;
                    encode(&out)
                })*
            }
        }
    };
}

openivs_model::for_each_operation!(dispatch_operations);
