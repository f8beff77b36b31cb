//! The client against a fake HTTP layer (`transport::from_fn`) that plays a script of responses and
//! records the requests: retries (standard mode: which errors, how many attempts, backoff, retry
//! quota), timeouts, transport failures, malformed responses, paginators and waiters, and the shape
//! of the signed requests. Time is paused (tokio test-util), so backoff sleeps cost nothing.

mod paginators;
mod retries;
mod waiters;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use openivs_client::http::{HeaderMap, Response};
use openivs_client::retry::RetryConfig;
use openivs_client::transport::{HttpError, HttpRequest, HttpResponse, from_fn};
use openivs_client::{Client, Config, Credentials, Environment, TimeoutConfig};

/// One scripted answer.
pub enum Answer {
    /// A response with this status, `x-amzn-ErrorType` (when not empty) and body.
    Status(u16, &'static str, String),
    /// A failure of the HTTP layer.
    Fail(fn() -> HttpError),
    /// No answer for this long, then a 200 `{}`.
    Hang(Duration),
}

/// A 200 with this JSON body.
pub fn ok(body: impl Into<String>) -> Answer {
    Answer::Status(200, "", body.into())
}

/// An error response of the service.
pub fn err(status: u16, code: &'static str, message: &str) -> Answer {
    Answer::Status(status, code, format!(r#"{{"exceptionMessage":"{message}"}}"#))
}

/// The script and what was sent.
#[derive(Default)]
pub struct Fake {
    answers: Mutex<VecDeque<Answer>>,
    /// Used once the script is exhausted.
    repeat: Mutex<Option<fn() -> Answer>>,
    requests: Mutex<Vec<HttpRequest>>,
}

impl Fake {
    /// A fake answering `answers` in order.
    pub fn new(answers: impl IntoIterator<Item = Answer>) -> Arc<Self> {
        Arc::new(Self { answers: Mutex::new(answers.into_iter().collect()), ..Self::default() })
    }

    /// A fake answering `answer()` forever.
    pub fn always(answer: fn() -> Answer) -> Arc<Self> {
        let f = Self::new([]);
        *f.repeat.lock().unwrap() = Some(answer);
        f
    }

    /// The requests sent so far.
    pub fn requests(&self) -> Vec<HttpRequest> {
        self.requests.lock().unwrap().clone()
    }

    /// The JSON bodies sent so far.
    pub fn bodies(&self) -> Vec<serde_json::Value> {
        self.requests().iter().map(|r| serde_json::from_slice(r.body()).unwrap_or_default()).collect()
    }

    async fn answer(self: Arc<Self>, req: HttpRequest) -> Result<HttpResponse, HttpError> {
        self.requests.lock().unwrap().push(req);
        let next = self.answers.lock().unwrap().pop_front();
        let next = match next {
            Some(a) => a,
            None => (self.repeat.lock().unwrap().expect("the script ran out"))(),
        };
        match next {
            Answer::Status(status, code, body) => {
                let mut r = Response::builder().status(status).header("x-amzn-RequestId", "req-1");
                if !code.is_empty() {
                    r = r.header("x-amzn-ErrorType", code);
                }
                Ok(r.body(body.into()).unwrap())
            }
            Answer::Fail(f) => Err(f()),
            Answer::Hang(d) => {
                tokio::time::sleep(d).await;
                Ok(Response::new("{}".into()))
            }
        }
    }
}

/// A client of `fake` with this retry and timeout configuration.
pub fn client(fake: &Arc<Fake>, retry: RetryConfig, timeouts: TimeoutConfig) -> Client {
    let f = fake.clone();
    let http = from_fn(move |req| f.clone().answer(req));
    let config = Config::builder()
        .region("us-west-2")
        .endpoint_url("https://ivs.test.example")
        .credentials(Credentials::new("AKIDTEST", "secret", Some("session-token".into())))
        .environment(Environment::from_vars(Vec::<(String, String)>::new()))
        .retry(retry)
        .timeouts(timeouts)
        .http_client(http)
        .build()
        .expect("config");
    Client::new(config)
}

/// A client with the standard retry mode and no timeouts.
pub fn standard(fake: &Arc<Fake>) -> Client {
    client(fake, RetryConfig::standard(), TimeoutConfig { attempt: None, operation: None })
}

/// A header as text.
pub fn header<'a>(h: &'a HeaderMap, name: &str) -> &'a str {
    h.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
}
