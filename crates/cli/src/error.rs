//! How the client commands (`ivs`, `playback-key`, `token`, `ingest-url`) fail: a message on stderr
//! and an exit code. The codes are the AWS CLI v2's ("Command line return codes" in its user guide),
//! except that usage errors keep clap's 2, which the AWS CLI also uses for commands it cannot parse:
//!
//! | code | when |
//! |---|---|
//! | 2 | the command line is wrong: unknown flag, bad value, missing required member |
//! | 253 | the configuration is: no credentials, a bad endpoint URL |
//! | 254 | the service answered with an error |
//! | 255 | anything else: cannot connect, timeout, unreadable response, a file that cannot be read |

use openivs_client::SdkError;
use openivs_client::error::ServiceError;
use openivs_model::Operation;

/// Exit code of command-line errors.
pub const USAGE: u8 = 2;
/// Exit code of configuration errors.
pub const CONFIG: u8 = 253;
/// Exit code of errors returned by the service.
pub const SERVICE: u8 = 254;
/// Exit code of every other failure.
pub const OTHER: u8 = 255;

/// Why a client command failed.
#[derive(Debug)]
pub enum Failure {
    /// A usage error, printed the way clap prints its own (with the usage line).
    Usage(Box<clap::Error>),
    /// Any other failure: its exit code and message.
    Exit(u8, String),
}

impl Failure {
    /// A usage error without clap's formatting.
    pub fn usage(message: impl Into<String>) -> Self {
        Self::Exit(USAGE, message.into())
    }

    /// A configuration error.
    pub fn config(message: impl Into<String>) -> Self {
        Self::Exit(CONFIG, message.into())
    }

    /// Any other failure.
    pub fn other(message: impl Into<String>) -> Self {
        Self::Exit(OTHER, message.into())
    }

    /// The failure of a call of `op` to `endpoint`. Service errors read like the AWS CLI's, with the
    /// request id added: `An error occurred (ResourceNotFoundException) when calling the GetChannel
    /// operation: … (request id …)`.
    pub fn call(op: Operation, endpoint: &str, err: SdkError<ServiceError>) -> Self {
        let name = op.info().name;
        match err {
            SdkError::Service(e) => Self::Exit(SERVICE, service_message(name, &e)),
            SdkError::Transport(f) => {
                Self::other(format!("Could not connect to the endpoint URL: \"{endpoint}\": {f}"))
            }
            SdkError::Timeout(_, f) => {
                Self::other(format!("Timed out calling {name} at \"{endpoint}\": {f}"))
            }
            other => Self::other(format!("{name} failed: {other}")),
        }
    }

    /// Prints the failure on stderr and returns the exit code.
    pub fn report(self) -> u8 {
        match self {
            Self::Usage(e) => {
                let _ = e.print();
                USAGE
            }
            Self::Exit(code, message) => {
                eprintln!("{message}");
                code
            }
        }
    }
}

impl From<clap::Error> for Failure {
    fn from(e: clap::Error) -> Self {
        Self::Usage(Box::new(e))
    }
}

fn service_message(operation: &str, e: &ServiceError) -> String {
    let mut text = format!(
        "An error occurred ({}) when calling the {operation} operation: {}",
        e.code(),
        e.message().unwrap_or("Unknown")
    );
    if let Some(id) = &e.meta().request_id {
        text.push_str(&format!(" (request id {id})"));
    }
    text
}
