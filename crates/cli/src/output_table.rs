//! `--output table`: the output as boxed sections, nested by one `|` per level, the way the AWS CLI
//! draws them. The top section is titled by the operation; each object or list inside is a section
//! titled by its member name. An object's scalars are a header row and a value row, or key/value rows
//! when that is wider than the terminal (`COLUMNS`, else 80); a list of objects is one row per object.

use serde_json::{Map, Value};

use crate::output::{is_scalar, scalar};

struct Section {
    level: usize,
    title: String,
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
}

/// `value`, the output of the operation `title`, as a table.
pub fn table(value: &Value, title: &str) -> String {
    let mut sections = Vec::new();
    build(&mut sections, Some(title), value, 0);
    let max = std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok()).unwrap_or(80usize);
    for s in &mut sections {
        if !s.headers.is_empty() && natural(s) + 2 * s.level > max {
            let headers = std::mem::take(&mut s.headers);
            let rows = std::mem::take(&mut s.rows);
            s.rows = rows
                .into_iter()
                .flat_map(|r| headers.iter().cloned().zip(r).map(|(h, c)| vec![h, c]))
                .collect();
        }
    }
    let width = sections.iter().map(|s| natural(s).max(chars(&s.title) + 4) + 2 * s.level).max().unwrap_or(0);
    let mut out = format!("{}\n", "-".repeat(width));
    for s in &sections {
        render(s, width, &mut out);
    }
    let last = sections.last().map_or(0, |s| s.level);
    for level in (0..last).rev() {
        let (l, inner) = ("|".repeat(level), width - 2 * level - 2);
        out.push_str(&format!("{l}+{}+{l}\n", "-".repeat(inner)));
    }
    out
}

fn chars(s: &str) -> usize {
    s.chars().count()
}

/// Widths of the columns: the widest cell plus two spaces before and one after.
fn columns(s: &Section) -> Vec<usize> {
    let n = s.rows.iter().map(Vec::len).chain([s.headers.len()]).max().unwrap_or(0);
    (0..n)
        .map(|i| {
            let cells = s.rows.iter().filter_map(|r| r.get(i)).chain(s.headers.get(i));
            cells.map(|c| chars(c)).max().unwrap_or(0) + 3
        })
        .collect()
}

/// The width a section needs inside its level's borders.
fn natural(s: &Section) -> usize {
    columns(s).iter().map(|w| w + 1).sum::<usize>() + 1
}

fn render(s: &Section, width: usize, out: &mut String) {
    let l = "|".repeat(s.level);
    let inner = width - 2 * s.level - 2;
    let mut cols = columns(s);
    // The last column takes what is left of the width.
    let used = cols.iter().map(|w| w + 1).sum::<usize>().saturating_sub(1);
    if let Some(last) = cols.last_mut() {
        *last += inner.saturating_sub(used);
    }
    let sep = if cols.is_empty() {
        "-".repeat(inner)
    } else {
        cols.iter().map(|w| "-".repeat(*w)).collect::<Vec<_>>().join("+")
    };
    let pad = inner.saturating_sub(chars(&s.title));
    let title = format!("{}{}{}", " ".repeat(pad / 2), s.title, " ".repeat(pad - pad / 2));
    out.push_str(&format!("{l}|{title}|{l}\n{l}+{sep}+{l}\n"));
    if cols.is_empty() {
        return;
    }
    let row = |cells: &[String], center: bool| {
        let cells: Vec<String> = cols
            .iter()
            .enumerate()
            .map(|(i, w)| {
                let c = cells.get(i).map_or("", String::as_str);
                let room = w.saturating_sub(chars(c));
                if center {
                    format!("{}{c}{}", " ".repeat(room / 2), " ".repeat(room - room / 2))
                } else {
                    format!("  {c}{}", " ".repeat(room.saturating_sub(2)))
                }
            })
            .collect();
        format!("{l}|{}|{l}\n", cells.join("|"))
    };
    if !s.headers.is_empty() {
        out.push_str(&row(&s.headers, true));
        out.push_str(&format!("{l}+{sep}+{l}\n"));
    }
    for r in &s.rows {
        out.push_str(&row(r, false));
    }
    out.push_str(&format!("{l}+{sep}+{l}\n"));
}

fn blank(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Array(a) => a.is_empty(),
        Value::Object(m) => m.is_empty(),
        _ => false,
    }
}

fn section(sections: &mut Vec<Section>, title: &str, level: usize) {
    sections.push(Section { level, title: title.into(), headers: Vec::new(), rows: Vec::new() });
}

fn add_row(sections: &mut Vec<Section>, row: Vec<String>) {
    if sections.is_empty() {
        section(sections, "", 0);
    }
    if let Some(s) = sections.last_mut() {
        s.rows.push(row);
    }
}

fn set_headers(sections: &mut [Section], headers: Vec<String>) {
    if let Some(s) = sections.last_mut() {
        s.headers = headers;
    }
}

fn build(sections: &mut Vec<Section>, title: Option<&str>, v: &Value, level: usize) {
    if blank(v) {
        return;
    }
    if let Some(t) = title {
        section(sections, t, level);
    }
    match v {
        Value::Array(items) if items.iter().any(Value::is_object) => {
            objects(sections, items, title.unwrap_or(""), level);
        }
        Value::Array(items) => {
            for item in items {
                match item {
                    Value::Array(inner) if inner.iter().all(is_scalar) => {
                        add_row(sections, inner.iter().map(scalar).collect());
                    }
                    v if is_scalar(v) => add_row(sections, vec![scalar(v)]),
                    v => build(sections, None, v, level),
                }
            }
        }
        Value::Object(map) => object(sections, map, level),
        v => add_row(sections, vec![scalar(v)]),
    }
}

fn object(sections: &mut Vec<Section>, map: &Map<String, Value>, level: usize) {
    let headers: Vec<&String> = map.iter().filter(|(_, v)| is_scalar(v)).map(|(k, _)| k).collect();
    match headers.as_slice() {
        [] => {}
        [one] => add_row(sections, vec![(*one).clone(), scalar(&map[*one])]),
        many => {
            set_headers(sections, many.iter().map(|h| (*h).clone()).collect());
            add_row(sections, many.iter().map(|h| scalar(&map[*h])).collect());
        }
    }
    for (k, v) in map.iter().filter(|(_, v)| !is_scalar(v)) {
        build(sections, Some(k), v, level + 1);
    }
}

fn objects(sections: &mut Vec<Section>, items: &[Value], title: &str, level: usize) {
    let keys = |scalars: bool| {
        let mut keys: Vec<String> = items
            .iter()
            .filter_map(Value::as_object)
            .flat_map(|m| m.iter().filter(|(_, v)| is_scalar(v) == scalars).map(|(k, _)| k.clone()))
            .collect();
        keys.sort();
        keys.dedup();
        keys
    };
    let (headers, more) = (keys(true), keys(false));
    set_headers(sections, headers.clone());
    for (i, item) in items.iter().enumerate() {
        if i > 0 && !more.is_empty() {
            section(sections, title, level);
            set_headers(sections, headers.clone());
        }
        let get = |k: &String| item.get(k).map(scalar).unwrap_or_default();
        add_row(sections, headers.iter().map(get).collect());
        for k in &more {
            if let Some(v) = item.get(k) {
                build(sections, Some(k), v, level + 1);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sections_nest_and_wide_ones_turn_into_key_value_rows() {
        let v = json!({"channel": {"arn": "arn:aws:ivs:us-east-1:123456789012:channel/abcdefghijkl",
            "name": "demo", "type": "STANDARD", "latencyMode": "LOW", "tags": {"team": "video"}}});
        let t = table(&v, "GetChannel");
        let lines: Vec<&str> = t.lines().collect();
        assert!(lines[1].trim_matches('|').trim() == "GetChannel", "{t}");
        assert!(lines.iter().all(|l| chars(l) == chars(lines[0])), "{t}");
        assert!(t.contains("||  name ") && t.contains("|  demo "), "{t}");
        assert!(t.contains("|||  team "), "{t}");
        let narrow = table(&json!({"keyPair": {"name": "k", "fingerprint": "f"}}), "GetPlaybackKeyPair");
        assert!(narrow.contains("fingerprint") && narrow.contains("|  f "), "{narrow}");
    }
}
