//! Constraint validation for inputs, with messages in the AWS style that names each failing member:
//! `Value 'x' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: …`.
//!
//! The generated `Validate` impls call the small checks here; the server turns the collected errors
//! into one `ValidationException`. Sensitive values (stream keys, metadata) are never echoed.

use regex::Regex;
use std::fmt;

/// A value that can be checked against the model's constraints.
pub trait Validate {
    /// Adds every constraint violation of `self` (and what it contains) to `v`.
    fn validate_into(&self, v: &mut Validator);

    /// Checks `self`, returning all violations at once.
    fn validate(&self) -> Result<(), ValidationErrors> {
        let mut v = Validator::default();
        self.validate_into(&mut v);
        v.finish()
    }
}

impl Validate for () {
    fn validate_into(&self, _: &mut Validator) {}
}

/// One violated constraint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidationError {
    /// Where: `name`, `destinationConfiguration.s3.bucketName`, `arns.0`, `tags.myKey`.
    pub path: String,
    /// The value as given, when it may be shown (never for sensitive members; shortened when long).
    pub value: Option<String>,
    /// What was expected, e.g. `Member must not be null`.
    pub constraint: String,
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.value {
            Some(v) => {
                write!(f, "Value '{v}' at '{}' failed to satisfy constraint: {}", self.path, self.constraint)
            }
            None if self.constraint.contains("not be null") => {
                write!(f, "Value null at '{}' failed to satisfy constraint: {}", self.path, self.constraint)
            }
            None => write!(f, "Value at '{}' failed to satisfy constraint: {}", self.path, self.constraint),
        }
    }
}

/// All violations found in one input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidationErrors(pub Vec<ValidationError>);

impl fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0.len();
        write!(f, "{n} validation error{} detected: ", if n == 1 { "" } else { "s" })?;
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ValidationErrors {}

enum Segment {
    Field(&'static str),
    Index(usize),
    Key(String),
}

/// Collects violations while walking a value; keeps the current member path.
#[derive(Default)]
pub struct Validator {
    path: Vec<Segment>,
    errors: Vec<ValidationError>,
}

const MAX_ECHO: usize = 100;

impl Validator {
    /// Checks a member: missing and required is an error, present is handed to `f`.
    pub fn field<T: ?Sized>(
        &mut self,
        name: &'static str,
        value: Option<&T>,
        required: bool,
        f: impl FnOnce(&mut Self, &T),
    ) {
        self.path.push(Segment::Field(name));
        match value {
            Some(v) => f(self, v),
            None if required => self.fail(None, "Member must not be null".into()),
            None => {}
        }
        self.path.pop();
    }

    /// Checks the `i`-th item of a list.
    pub fn index(&mut self, i: usize, f: impl FnOnce(&mut Self)) {
        self.path.push(Segment::Index(i));
        f(self);
        self.path.pop();
    }

    /// Checks the entry `key` of a map.
    pub fn key(&mut self, key: &str, f: impl FnOnce(&mut Self)) {
        self.path.push(Segment::Key(key.to_owned()));
        f(self);
        self.path.pop();
    }

    /// Length (in characters, as Smithy counts) and pattern of a string.
    pub fn string(
        &mut self,
        s: &str,
        min: Option<i64>,
        max: Option<i64>,
        pattern: Option<(&Regex, &str)>,
        sensitive: bool,
    ) {
        let echo = (!sensitive).then(|| shorten(s));
        let len = i64::try_from(s.chars().count()).unwrap_or(i64::MAX);
        if let Some(min) = min.filter(|&m| len < m) {
            self.fail(echo.clone(), format!("Member must have length greater than or equal to {min}"));
        }
        if let Some(max) = max.filter(|&m| len > m) {
            self.fail(echo.clone(), format!("Member must have length less than or equal to {max}"));
        }
        if let Some((re, text)) = pattern
            && !re.is_match(s)
        {
            self.fail(echo, format!("Member must satisfy regular expression pattern: {text}"));
        }
    }

    /// An enum value must be one the model defines.
    pub fn enumeration(&mut self, known: bool, value: &str, values: &[&str]) {
        if !known {
            self.fail(
                Some(shorten(value)),
                format!("Member must satisfy enum value set: [{}]", values.join(", ")),
            );
        }
    }

    /// A number within the model's range.
    pub fn range(&mut self, n: i64, min: Option<i64>, max: Option<i64>) {
        if let Some(min) = min.filter(|&m| n < m) {
            self.fail(Some(n.to_string()), format!("Member must have value greater than or equal to {min}"));
        }
        if let Some(max) = max.filter(|&m| n > m) {
            self.fail(Some(n.to_string()), format!("Member must have value less than or equal to {max}"));
        }
    }

    /// The number of items of a list or entries of a map.
    pub fn count(&mut self, n: usize, min: Option<i64>, max: Option<i64>) {
        let n = i64::try_from(n).unwrap_or(i64::MAX);
        if let Some(min) = min.filter(|&m| n < m) {
            self.fail(None, format!("Member must have length greater than or equal to {min}"));
        }
        if let Some(max) = max.filter(|&m| n > m) {
            self.fail(None, format!("Member must have length less than or equal to {max}"));
        }
    }

    /// Records a violation at the current path.
    pub fn fail(&mut self, value: Option<String>, constraint: String) {
        let path = self.path_string();
        self.errors.push(ValidationError { path, value, constraint });
    }

    fn path_string(&self) -> String {
        let mut s = String::new();
        for seg in &self.path {
            if !s.is_empty() {
                s.push('.');
            }
            match seg {
                Segment::Field(f) => s.push_str(f),
                Segment::Index(i) => s.push_str(&i.to_string()),
                Segment::Key(k) => s.push_str(&shorten(k)),
            }
        }
        s
    }

    /// The violations found, if any.
    pub fn finish(self) -> Result<(), ValidationErrors> {
        if self.errors.is_empty() { Ok(()) } else { Err(ValidationErrors(self.errors)) }
    }
}

fn shorten(s: &str) -> String {
    if s.chars().count() <= MAX_ECHO {
        s.to_owned()
    } else {
        let head: String = s.chars().take(MAX_ECHO).collect();
        format!("{head}...")
    }
}
