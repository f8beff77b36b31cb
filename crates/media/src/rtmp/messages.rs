//! Reading messages safely and the words of the session: AMF0 payloads are checked before
//! scuffle-rtmp decodes them; which commands end a publish; what a refusal says to the encoder.

use super::chunk::Message;
use super::session::SessionError;
use crate::amf0;
use crate::ingest::Refusal;
use scuffle_rtmp::chunk::Chunk;
use scuffle_rtmp::command_messages::CommandType;
use scuffle_rtmp::command_messages::netconnection::NetConnectionCommand;
use scuffle_rtmp::command_messages::netstream::NetStreamCommand;
use scuffle_rtmp::messages::{MessageData, MessageType};

/// `MessageData::read`, after checking that AMF0 payloads cannot make the decoder abort.
pub(super) fn read_message(message: Message) -> Result<MessageData<'static>, SessionError> {
    let t = MessageType(message.type_id);
    let safe = match t {
        // scuffle-amf0 decodes commands: they must be safe to read its way.
        MessageType::CommandAMF0 => {
            amf0::is_sane(&message.payload) && amf0::is_safe_command(&message.payload)
        }
        // Data messages are decoded by `amf0::decode` only.
        MessageType::DataAMF0 => amf0::is_sane(&message.payload),
        _ => true,
    };
    if !safe {
        return Err("malformed AMF0".into());
    }
    let chunk = Chunk::new(message.csid, message.timestamp, t, message.stream_id, message.payload);
    Ok(MessageData::read(&chunk)?)
}

pub(super) fn is_unpublish(c: &CommandType<'_>) -> bool {
    match c {
        CommandType::NetStream(NetStreamCommand::DeleteStream { .. } | NetStreamCommand::CloseStream) => true,
        CommandType::NetConnection(NetConnectionCommand::Close) => true,
        CommandType::Unknown(u) => u.command_name.as_str() == "FCUnpublish",
        _ => false,
    }
}

pub(super) fn refusal_text(r: Refusal) -> &'static str {
    match r {
        Refusal::BadKey => "Invalid stream key",
        Refusal::InsecureNotAllowed => "This channel accepts RTMPS only (insecureIngest is false)",
        Refusal::AlreadyPublishing => "The channel is already live",
        Refusal::BadPassphrase => "Wrong passphrase",
        Refusal::Unavailable => "Ingest is temporarily unavailable; try again",
    }
}
