//! Naming rules that turn model names into Rust names (`channelArn` → `channel_arn`,
//! `FRAGMENTED_MP4` → `FragmentedMp4`, `CreateChannel` → `create_channel`).

/// Rust keywords that may appear as member names and need the raw-identifier form.
const KEYWORDS: &[&str] = &[
    "type", "match", "ref", "mod", "move", "self", "static", "struct", "trait", "use", "where", "loop", "fn",
    "in", "impl", "let", "mut", "pub", "return", "as", "box", "const", "crate", "enum", "extern", "false",
    "true", "for", "if", "else", "while", "break", "continue",
];

/// `camelCase` or `PascalCase` → `snake_case`; runs of capitals stay one word (`playbackURL` → `playback_url`).
pub fn snake(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if c.is_ascii_uppercase() {
            let prev_lower = i > 0 && (chars[i - 1].is_ascii_lowercase() || chars[i - 1].is_ascii_digit());
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase());
            let prev_upper = i > 0 && chars[i - 1].is_ascii_uppercase();
            if i > 0 && (prev_lower || (prev_upper && next_lower)) {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// A member name as a Rust field identifier.
pub fn field(name: &str) -> String {
    let s = snake(name);
    if KEYWORDS.contains(&s.as_str()) { format!("r#{s}") } else { s }
}

/// An enum value (`ADVANCED_SD`) as a Rust variant name (`AdvancedSd`).
pub fn variant(value: &str) -> String {
    value
        .split(['_', '-'])
        .filter(|p| !p.is_empty())
        .map(|p| {
            let lower = p.to_ascii_lowercase();
            let mut cs = lower.chars();
            match cs.next() {
                Some(first) => first.to_ascii_uppercase().to_string() + cs.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(snake("channelArn"), "channel_arn");
        assert_eq!(snake("CreateChannel"), "create_channel");
        assert_eq!(
            snake("viewerSessionVersionsLessThanOrEqualTo"),
            "viewer_session_versions_less_than_or_equal_to"
        );
        assert_eq!(snake("playbackURL"), "playback_url");
        assert_eq!(snake("s3"), "s3");
        assert_eq!(field("type"), "r#type");
        assert_eq!(variant("FRAGMENTED_MP4"), "FragmentedMp4");
        assert_eq!(variant("LOW"), "Low");
    }
}
