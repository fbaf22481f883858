//! Cron expressions as Kubernetes CronJobs take them.

pub(super) const CRON_HINT: &str =
    "use five fields: minute hour day-of-month month day-of-week, e.g. \"0 6 * * *\"";

/// Kubernetes CronJobs take five-field cron or the `@hourly`-style macros.
pub fn check_cron(expr: &str) -> Result<(), String> {
    let expr = expr.trim();
    if expr.starts_with('@') {
        return match expr {
            "@yearly" | "@annually" | "@monthly" | "@weekly" | "@daily" | "@midnight"
            | "@hourly" => Ok(()),
            _ => Err(format!("unknown macro {expr}")),
        };
    }
    let fields: Vec<&str> = expr.split_whitespace().collect();
    if fields.len() != 5 {
        return Err(format!("expected 5 fields, found {}", fields.len()));
    }
    check_field_ranges(&fields)?;
    let parser = croner::parser::CronParser::builder()
        .seconds(croner::parser::Seconds::Disallowed)
        .year(croner::parser::Year::Disallowed)
        .build();
    parser.parse(expr).map(|_| ()).map_err(|e| {
        let why = e.to_string();
        let why = why.trim_end_matches('.');
        why.strip_prefix("Component error: ")
            .unwrap_or(why)
            .to_lowercase()
    })
}

/// Says which field is wrong where a plain number is out of range; the
/// parser only says that something is.
fn check_field_ranges(fields: &[&str]) -> Result<(), String> {
    const FIELDS: [(&str, u32, u32); 5] = [
        ("minute", 0, 59),
        ("hour", 0, 23),
        ("day-of-month", 1, 31),
        ("month", 1, 12),
        ("day-of-week", 0, 6),
    ];
    for (field, (name, lo, hi)) in fields.iter().zip(FIELDS) {
        for part in field.split(',') {
            let (range, step) = part.split_once('/').unwrap_or((part, ""));
            if !step.is_empty() && step.parse::<u32>().map_or(true, |n| n == 0) {
                return Err(format!("{name} step {step:?} is not a positive number"));
            }
            for bound in range.split('-') {
                if let Ok(n) = bound.parse::<u32>() {
                    if n < lo || n > hi {
                        return Err(format!("{name} {n} is outside {lo}-{hi}"));
                    }
                }
            }
        }
    }
    Ok(())
}
