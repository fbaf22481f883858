//! Finding the line of a dotted field path in block-style YAML text, for
//! problems found after parsing.

/// One step of a field path: a mapping key or a list index.
#[derive(Clone, Copy)]
enum Segment<'a> {
    Key(&'a str),
    Index(usize),
}

fn segments(path: &str) -> Vec<Segment<'_>> {
    let mut out = Vec::new();
    let mut rest = path;
    while !rest.is_empty() {
        // `["a.b"]`: a key with dots or spaces in it.
        if let Some(inner) = rest.strip_prefix("[\"") {
            let Some(end) = inner.find("\"]") else { break };
            out.push(Segment::Key(&inner[..end]));
            rest = &inner[end + 2..];
        } else if let Some(inner) = rest.strip_prefix('[') {
            let Some(end) = inner.find(']') else { break };
            if let Ok(n) = inner[..end].parse() {
                out.push(Segment::Index(n));
            }
            rest = &inner[end + 1..];
        } else if let Some(after) = rest.strip_prefix('.') {
            rest = after;
        } else {
            let end = rest.find(['.', '[']).unwrap_or(rest.len());
            out.push(Segment::Key(&rest[..end]));
            rest = &rest[end..];
        }
    }
    out
}

/// A line of YAML seen as block structure: the indentation of its first
/// key (after any `- ` item markers), the indentation of its first `-`, and
/// the text from the key on.
struct YamlLine<'a> {
    indent: usize,
    dash: Option<usize>,
    content: &'a str,
}

fn yaml_line(line: &str) -> Option<YamlLine<'_>> {
    let trimmed = line.trim_start();
    if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with("---") {
        return None;
    }
    let mut indent = line.len() - trimmed.len();
    let mut content = trimmed;
    let mut dash = None;
    while let Some(rest) = content.strip_prefix('-') {
        if !(rest.is_empty() || rest.starts_with(' ')) {
            break;
        }
        dash.get_or_insert(indent);
        let after = rest.trim_start();
        indent += content.len() - after.len();
        content = after;
    }
    Some(YamlLine {
        indent,
        dash,
        content,
    })
}

fn starts_with_key(content: &str, key: &str) -> bool {
    [key.to_string(), format!("\"{key}\""), format!("'{key}'")]
        .iter()
        .any(|k| {
            content
                .strip_prefix(k.as_str())
                .is_some_and(|r| r.trim_start().starts_with(':'))
        })
}

/// Best-effort 1-based line of a dotted field path in block-style YAML, for
/// problems found after parsing (merged settings, values read as JSON).
pub(crate) fn find_line(text: &str, path: &str) -> Option<usize> {
    locate(text, path).map(|(line, _)| line)
}

/// Like [`find_line`], but only when the whole path is in the file: as
/// block lines, or with its last steps written flow style on the line found
/// (`resources: {requests: {cpu: 2}}`). For semantic problems, whose path
/// may name a field the file leaves to a default.
pub(crate) fn find_line_exact(text: &str, path: &str) -> Option<usize> {
    locate(text, path).and_then(|(line, complete)| complete.then_some(line))
}

/// The deepest line of `path` found, and whether the rest of the path is
/// on that line.
fn locate(text: &str, path: &str) -> Option<(usize, bool)> {
    if text.is_empty() || path.is_empty() {
        return None;
    }
    let lines: Vec<Option<YamlLine>> = text.lines().map(yaml_line).collect();
    let mut search = Search {
        from: 0,
        parent: None,
        found: None,
    };
    let segs = segments(path);
    let mut complete = true;
    for (n, seg) in segs.iter().enumerate() {
        match search.step(&lines, *seg) {
            Some((line, owner, next)) => {
                search.found = Some(line);
                search.parent = Some(owner);
                search.from = next;
            }
            // Flow style (`{cpu: 1}`) or a key not in the file: stop at the
            // deepest line found.
            None => {
                complete = search.found.is_some_and(|line| {
                    rest_on_line(text.lines().nth(line).unwrap_or(""), &segs[n..])
                });
                break;
            }
        }
    }
    search.found.map(|i| (i + 1, complete))
}

/// Where the search for the next path step stands: the block being
/// searched starts at line `from`; `parent` is the indentation of the key
/// or the `-` of the item that owns it (and whether it is an item);
/// `found` is the line of the last step found.
struct Search {
    from: usize,
    parent: Option<(usize, bool)>,
    found: Option<usize>,
}

impl Search {
    fn in_block(&self, l: &YamlLine) -> bool {
        match (self.parent, l.dash) {
            (None, _) => true,
            // A compact list (`key:` then `- item` at the same indentation)
            // belongs to the key.
            (Some((p, false)), Some(d)) => d >= p,
            (Some((p, true)), Some(d)) => d > p,
            (Some((p, _)), None) => l.indent > p,
        }
    }

    /// The line of `seg` in the current block, its owner for the next
    /// step, and the line the next search starts at.
    fn step(
        &self,
        lines: &[Option<YamlLine>],
        seg: Segment,
    ) -> Option<(usize, (usize, bool), usize)> {
        let mut level = None;
        let mut items = 0usize;
        for (i, l) in lines.iter().enumerate().skip(self.from) {
            let Some(l) = l else { continue };
            let own_item_line = self.found == Some(i);
            if !own_item_line && !self.in_block(l) {
                return None;
            }
            match seg {
                Segment::Key(key) => {
                    let lvl = *level.get_or_insert(l.indent);
                    if l.indent == lvl && starts_with_key(l.content, key) {
                        return Some((i, (l.indent, false), i + 1));
                    }
                }
                Segment::Index(n) => {
                    let Some(d) = l.dash else { continue };
                    if d != *level.get_or_insert(d) {
                        continue;
                    }
                    if items == n {
                        // The item's first key sits on the same line.
                        return Some((i, (d, true), i));
                    }
                    items += 1;
                }
            }
        }
        None
    }
}

/// Whether the remaining path steps are written flow style on `line`.
fn rest_on_line(line: &str, rest: &[Segment]) -> bool {
    rest.iter().all(|s| match s {
        Segment::Key(k) => line.contains(&format!("{k}:")) || line.contains(&format!("\"{k}\":")),
        Segment::Index(_) => line.contains('['),
    })
}
