//! AMF0: our decoder must not panic, and whatever the session would hand to scuffle-rtmp's command
//! decoder (sane and a safe command) must decode there without aborting (the reason the checks exist).
#![no_main]

use libfuzzer_sys::fuzz_target;
use openivs_media::amf0;
use scuffle_rtmp::chunk::Chunk;
use scuffle_rtmp::messages::{MessageData, MessageType};

fuzz_target!(|data: &[u8]| {
    if amf0::decode(data).is_some() && amf0::is_safe_command(data) {
        let chunk = Chunk::new(3, 0, MessageType::CommandAMF0, 0, bytes::Bytes::copy_from_slice(data));
        let _ = MessageData::read(&chunk);
    }
});
