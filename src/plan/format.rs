//! Formatting a plan for people (terminal, Markdown) and machines (JSON).
//! Pure functions of the plan: they never talk to the cluster.

use super::{Action, Change, Plan};
use serde_json::Value;
use similar::TextDiff;
use std::collections::HashSet;
use std::fmt::Write;

/// GitHub refuses comments over 65,536 characters; stay well under.
pub const MARKDOWN_PART_LIMIT: usize = 60_000;

fn yaml(value: &Option<Value>) -> String {
    match value {
        Some(v) => serde_norway::to_string(v).unwrap_or_default(),
        None => String::new(),
    }
}

/// A unified diff of the YAML of `before` and `after` (3 lines of context).
pub fn unified_diff(change: &Change) -> String {
    let before = yaml(&change.before);
    let after = yaml(&change.after);
    let diff = TextDiff::from_lines(&before, &after);
    let mut out = String::new();
    for hunk in diff.unified_diff().context_radius(3).iter_hunks() {
        let _ = write!(out, "{hunk}");
    }
    out
}

struct Palette {
    on: bool,
}

impl Palette {
    fn paint(&self, code: &str, text: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    fn action(&self, action: Action, text: &str) -> String {
        let code = match action {
            Action::Create => "32",
            Action::Update => "33",
            Action::Replace => "35",
            Action::Delete => "31",
            Action::Adopt => "34",
            Action::NoOp => "0",
        };
        self.paint(code, text)
    }

    fn diff_line(&self, line: &str) -> String {
        match line.as_bytes().first() {
            Some(b'+') => self.paint("32", line),
            Some(b'-') => self.paint("31", line),
            Some(b'@') => self.paint("36", line),
            _ => line.to_string(),
        }
    }
}

/// The terminal rendering: one symbol per action, a YAML diff per changed
/// object, then the summary line.
pub fn to_text(plan: &Plan, color: bool) -> String {
    let p = Palette { on: color };
    let mut out = String::new();
    let changed: Vec<&Change> = plan.changes.iter().filter(|c| c.is_change()).collect();
    if changed.is_empty() {
        let _ = writeln!(
            out,
            "No changes. Namespace {} on {} matches the desired state of {} {} ({}).",
            plan.namespace,
            plan.cluster.server,
            plan.product,
            plan.product_version,
            plan.environment
        );
    } else {
        let _ = writeln!(
            out,
            "floe will perform the following actions in namespace {} on {}:",
            plan.namespace, plan.cluster.server
        );
        let _ = writeln!(out, "{}", symbols(&p, &changed));
        for c in &changed {
            out.push('\n');
            let header = format!("{} {} {}", c.action.symbol(), c.address, c.action.verb());
            let _ = writeln!(out, "  {}", p.action(c.action, &header));
            for note in notes(c) {
                let _ = writeln!(out, "      # {note}");
            }
            for line in body_of(c).lines() {
                let _ = writeln!(out, "      {}", p.diff_line(line));
            }
        }
        out.push('\n');
    }
    for w in &plan.warnings {
        let _ = writeln!(out, "{} {w}", p.paint("33", "Warning:"));
    }
    for b in &plan.blocked {
        let _ = writeln!(out, "{} {b}", p.paint("31", "Blocked:"));
    }
    let _ = writeln!(out, "{}", p.paint("1", &plan.summary.line()));
    out
}

/// The legend of the symbols; adopt only when something is adopted.
fn symbols(p: &Palette, changed: &[&Change]) -> String {
    let mut line = format!(
        "Symbols: {} create, {} update, {} replace, {} destroy",
        p.action(Action::Create, "+"),
        p.action(Action::Update, "~"),
        p.action(Action::Replace, "-/+"),
        p.action(Action::Delete, "-")
    );
    if changed.iter().any(|c| c.action == Action::Adopt) {
        let _ = write!(line, ", {} adopt", p.action(Action::Adopt, "<="));
    }
    line
}

/// What a reader should know about a change besides its diff: what forces
/// a replace, who else wrote the object, the fields floe takes from other
/// managers, and the flag it waits for.
fn notes(c: &Change) -> Vec<String> {
    let mut notes = Vec::new();
    if let Some(reason) = &c.replace_reason {
        notes.push(format!("forced by: {reason}"));
    }
    if !c.other_managers.is_empty() {
        notes.push(format!(
            "not made by floe; written by: {}",
            c.other_managers.join(", ")
        ));
    }
    for d in &c.drift {
        notes.push(if c.action == Action::Adopt {
            format!(
                "drift: {} is set by {:?}; floe will take it over",
                d.field, d.manager
            )
        } else {
            format!(
                "drift: {} was changed in the cluster by {:?}; floe will take it back",
                d.field, d.manager
            )
        });
    }
    if let Some(flag) = &c.requires_flag {
        notes.push(format!("blocked: needs {flag}"));
    }
    notes
}

/// The whole object for a create or a destroy, else the diff.
fn body_of(c: &Change) -> String {
    match c.action {
        Action::Create => prefix_lines(&yaml(&c.after), "+ "),
        Action::Delete => prefix_lines(&yaml(&c.before), "- "),
        _ => unified_diff(c),
    }
}

fn prefix_lines(text: &str, prefix: &str) -> String {
    text.lines().map(|l| format!("{prefix}{l}\n")).collect()
}

/// The machine rendering: the plan as stored, with the schema version.
pub fn to_json(plan: &Plan) -> String {
    serde_json::to_string_pretty(plan).unwrap_or_default() + "\n"
}

/// A Mermaid graph of the changed objects and the edges between them.
pub fn mermaid_of_changes(plan: &Plan, max_nodes: usize) -> (String, usize) {
    let changed: Vec<&Change> = plan
        .changes
        .iter()
        .filter(|c| c.is_change())
        .take(max_nodes)
        .collect();
    let left_out = plan.changes.iter().filter(|c| c.is_change()).count() - changed.len();
    let shown: HashSet<&str> = changed.iter().map(|c| c.address.as_str()).collect();
    let id = |address: &str| -> String {
        address
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect()
    };
    let mut out = String::from("graph TD\n");
    for c in &changed {
        let _ = writeln!(
            out,
            "  {}[\"{} {}\"]",
            id(&c.address),
            c.action.symbol(),
            c.address
        );
    }
    for e in &plan.edges {
        if shown.contains(e.from.as_str()) && shown.contains(e.to.as_str()) {
            let _ = writeln!(out, "  {} -->|{}| {}", id(&e.from), e.reason, id(&e.to));
        }
    }
    (out, left_out)
}

/// The pull-request rendering, split into parts that each fit one comment.
pub fn to_markdown(plan: &Plan) -> Vec<String> {
    to_markdown_with_limit(plan, MARKDOWN_PART_LIMIT)
}

pub fn to_markdown_with_limit(plan: &Plan, limit: usize) -> Vec<String> {
    let limit = limit.max(2_000);
    let title = format!(
        "## floe plan: {} {} → `{}` ({})\n\n",
        plan.product, plan.product_version, plan.namespace, plan.environment
    );
    let mut head = String::new();
    let _ = writeln!(head, "**{}**\n", plan.summary.line());
    let changed: Vec<&Change> = plan.changes.iter().filter(|c| c.is_change()).collect();
    if changed.is_empty() {
        let _ = writeln!(head, "No changes: the cluster matches the desired state.");
    }
    for b in &plan.blocked {
        let _ = writeln!(head, "> :no_entry: {b}");
    }
    for w in &plan.warnings {
        let _ = writeln!(head, "> :warning: {w}");
    }
    if !changed.is_empty() {
        let _ = writeln!(head, "\n| Action | Object | Note |\n|---|---|---|");
        let mut rows_left_out = 0;
        for c in &changed {
            let note = note_of(c);
            let row = format!(
                "| `{}` {} | `{}` | {} |\n",
                c.action.symbol(),
                c.actions.join(", "),
                c.address,
                note
            );
            if head.len() + row.len() + title.len() > limit / 2 {
                rows_left_out += 1;
            } else {
                head.push_str(&row);
            }
        }
        if rows_left_out > 0 {
            let _ = writeln!(head, "\n_{rows_left_out} more rows left out of this table; `floe plan --format json` has them all._");
        }
        let (graph, nodes_left_out) = mermaid_of_changes(plan, 60);
        let mut section = format!("\n<details><summary>Dependency graph of the changes</summary>\n\n```mermaid\n{graph}```\n");
        if nodes_left_out > 0 {
            let _ = writeln!(
                section,
                "\n_{nodes_left_out} changed objects are not drawn._"
            );
        }
        section.push_str("</details>\n");
        if head.len() + section.len() + title.len() < limit / 2 + 20_000 {
            head.push_str(&section);
        }
    }

    let mut parts: Vec<String> = vec![format!("{title}{head}")];
    for c in &changed {
        let section = object_section(c, limit - title.len() - 200);
        let current = parts.last_mut().map(|s| s.len()).unwrap_or(0);
        if current + section.len() > limit {
            parts.push(String::new());
        }
        if let Some(last) = parts.last_mut() {
            last.push_str(&section);
        }
    }
    let total = parts.len();
    if total > 1 {
        for (i, part) in parts.iter_mut().enumerate() {
            if i > 0 {
                *part = format!("{title}_Part {} of {total}, continued._\n{part}", i + 1);
            }
            part.push_str(&format!("\n_Part {} of {total}._\n", i + 1));
        }
    }
    parts
}

fn note_of(change: &Change) -> String {
    let mut notes = Vec::new();
    if let Some(r) = &change.replace_reason {
        notes.push(format!("forced by: {}", escape_cell(r)));
    }
    if !change.other_managers.is_empty() {
        let managers: Vec<String> = change
            .other_managers
            .iter()
            .map(|m| format!("`{}`", escape_cell(m)))
            .collect();
        notes.push(format!(
            "not made by floe; written by {}",
            managers.join(", ")
        ));
    }
    for d in &change.drift {
        let verb = match change.action {
            Action::Adopt => "set by",
            _ => "changed by",
        };
        notes.push(format!(
            "drift: `{}` {verb} `{}`",
            escape_cell(&d.field),
            escape_cell(&d.manager)
        ));
    }
    if let Some(f) = &change.requires_flag {
        notes.push(format!("blocked: needs `{f}`"));
    }
    notes.join("; ")
}

fn escape_cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// One collapsible section with the object's diff, truncated to `budget`.
fn object_section(change: &Change, budget: usize) -> String {
    let body = body_of(change);
    let head = format!(
        "\n<details><summary><code>{} {}</code> {}</summary>\n\n```diff\n",
        change.action.symbol(),
        change.address,
        change.action.verb()
    );
    let tail_reserve = 200;
    let room = budget.saturating_sub(head.len() + tail_reserve);
    let mut shown = String::new();
    let mut left_out = 0;
    for line in body.lines() {
        // Code fences inside the diff would end the block early.
        let line = line.replace("```", "ˋˋˋ");
        if shown.len() + line.len() + 1 > room {
            left_out += 1;
        } else {
            shown.push_str(&line);
            shown.push('\n');
        }
    }
    let mut out = format!("{head}{shown}```\n");
    if left_out > 0 {
        let _ = writeln!(out, "\n_{left_out} diff lines left out to fit the comment; `floe plan --format json` has the full object._");
    }
    out.push_str("</details>\n");
    out
}
