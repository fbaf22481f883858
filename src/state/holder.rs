//! Whether a lock's holder is provably dead: it ran on this machine (same
//! kernel boot and pid namespace, recorded beside the readable holder name)
//! and its pid is no longer running. Anything less certain (another
//! machine, no record, an unreadable /proc) is treated as alive.

/// Annotation on the Lease: the holder's machine, as [`machine`] says it.
pub const ANNOTATION_MACHINE: &str = "floe.dev/holder-machine";
/// Annotation on the Lease: the holder's process id.
pub const ANNOTATION_PID: &str = "floe.dev/holder-pid";

/// This machine and pid namespace: `<boot id>/<pid namespace>`. A pid
/// means the same process only within both; `None` where /proc cannot
/// tell (then no holder is ever judged dead).
pub fn machine() -> Option<String> {
    let boot = std::fs::read_to_string("/proc/sys/kernel/random/boot_id").ok()?;
    let pid_ns = std::fs::read_link("/proc/self/ns/pid").ok()?;
    Some(format!("{}/{}", boot.trim(), pid_ns.to_string_lossy()))
}

/// Whether a holder recorded with `machine` and `pid` is certainly gone.
pub fn provably_dead(machine_of_holder: Option<&str>, pid: Option<&str>) -> bool {
    let (Some(theirs), Some(ours)) = (machine_of_holder, machine()) else {
        return false;
    };
    let Some(pid) = pid.and_then(|p| p.parse::<u32>().ok()) else {
        return false;
    };
    theirs == ours
        && pid != std::process::id()
        && !std::path::Path::new(&format!("/proc/{pid}")).exists()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_gone_pid_on_this_machine_is_dead() {
        let here = machine();
        let mut child = std::process::Command::new("true").spawn().unwrap();
        child.wait().unwrap();
        let gone = child.id().to_string();
        let me = std::process::id().to_string();
        assert!(provably_dead(here.as_deref(), Some(&gone)));
        assert!(!provably_dead(here.as_deref(), Some(&me)));
        assert!(!provably_dead(Some("another-boot/pid:[1]"), Some(&gone)));
        assert!(!provably_dead(None, Some(&gone)));
        assert!(!provably_dead(here.as_deref(), Some("not a pid")));
    }
}
