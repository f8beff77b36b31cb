//! The input members of every operation as data: wire name, command-line flag, shape, kind and
//! whether the model requires it. The tables are generated (`generated/members.rs`); they let a tool
//! build an operation's input from text, as the `openivs ivs` command line does from its flags.

use crate::Operation;

/// One member of an input structure (or of a structure inside one).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Member {
    /// The member's name on the wire (`recordingConfigurationArn`).
    pub name: &'static str,
    /// Its command-line flag without the dashes, as the AWS CLI spells it
    /// (`recording-configuration-arn`).
    pub flag: &'static str,
    /// The model's shape name (`ResourceArn`, `ChannelType`).
    pub shape: &'static str,
    /// What kind of value it takes.
    pub kind: Kind,
    /// Whether the model requires it.
    pub required: bool,
}

/// The kind of value a member takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A string.
    String,
    /// A 32-bit integer.
    Integer,
    /// A 64-bit integer.
    Long,
    /// `true` or `false`.
    Boolean,
    /// A point in time (RFC 3339 text, or epoch seconds).
    Timestamp,
    /// One of these strings.
    Enum(&'static [&'static str]),
    /// A list of values of this kind.
    List(&'static Kind),
    /// A map from strings to values of this kind.
    Map(&'static Kind),
    /// A structure: its shape name and members.
    Structure(&'static str, &'static [Member]),
}

impl Operation {
    /// The operation whose command-line name is `name` (`create-channel`).
    pub fn from_cli_name(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|op| op.cli_name() == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_describe_inputs_as_the_aws_cli_names_them() {
        let op = Operation::from_cli_name("create-channel").expect("create-channel");
        assert_eq!(op, Operation::CreateChannel);
        let ty = op.input_members().iter().find(|m| m.name == "type").expect("type");
        assert_eq!((ty.flag, ty.shape, ty.required), ("type", "ChannelType", false));
        assert!(matches!(ty.kind, Kind::Enum(v) if v.contains(&"BASIC")));
        let tags = op.input_members().iter().find(|m| m.flag == "tags").expect("tags");
        assert_eq!(tags.kind, Kind::Map(&Kind::String));
        let get = Operation::GetChannel.input_members();
        assert_eq!((get[0].name, get[0].required), ("arn", true));
        let list = Operation::from_cli_name("list-tags-for-resource").expect("list-tags-for-resource");
        assert_eq!(list.input_members()[0].flag, "resource-arn");
        let rec = Operation::CreateRecordingConfiguration.input_members();
        let dest = rec.iter().find(|m| m.flag == "destination-configuration").expect("destination");
        let Kind::Structure("DestinationConfiguration", inner) = dest.kind else { panic!("{dest:?}") };
        assert!(matches!(inner[0].kind, Kind::Structure("S3DestinationConfiguration", _)));
        assert!(Operation::ALL.iter().all(|op| Operation::from_cli_name(op.cli_name()) == Some(*op)));
    }
}
