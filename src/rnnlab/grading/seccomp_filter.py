"""The system calls a student's notebook may not make: a seccomp filter, as a program.

Run by the system's Python 3 (``/usr/bin/python3``), which has libseccomp's bindings
(Debian's ``python3-seccomp``); it imports nothing of rnnlab:

- ``seccomp_filter.py --export`` writes the compiled BPF program to stdout, for
  ``bwrap --seccomp FD``;
- ``seccomp_filter.py --exec COMMAND...`` loads the filter into itself and runs COMMAND,
  where there is no bwrap to load it (the uid separation of the Gradescope autograder).

Every call is allowed except those below, which fail with EPERM, as in Docker's default
profile: they change the kernel or the machine (modules, clocks, swap, reboot, kexec,
sysctl), reach outside the process's own memory and files (ptrace, process_vm_*,
kcmp, handles), reach the kernel's keyrings (a channel between students: keys outlive
the sandbox), or make namespaces and mounts (a way around the sandbox's own). ``clone``
is refused with any CLONE_NEW* flag, and ``clone3``, whose flags a filter cannot read,
says ENOSYS, so that the C library falls back to ``clone``. Calls of another
architecture (32-bit ones from a 64-bit process) end the process.
"""

import errno
import os
import sys

DENIED = (
    # the kernel and the machine
    "acct", "bpf", "clock_adjtime", "clock_settime", "create_module", "delete_module",
    "finit_module", "get_kernel_syms", "init_module", "ioperm", "iopl", "kexec_file_load",
    "kexec_load", "lookup_dcookie", "nfsservctl", "perf_event_open", "query_module",
    "quotactl", "quotactl_fd", "reboot", "settimeofday", "stime", "swapoff", "swapon",
    "_sysctl", "sysfs", "syslog", "uselib", "ustat", "vhangup", "vm86", "vm86old",
    # other processes' memory and files
    "kcmp", "name_to_handle_at", "open_by_handle_at", "pidfd_getfd", "process_vm_readv",
    "process_vm_writev", "ptrace", "userfaultfd",
    # the kernel's keyrings
    "add_key", "keyctl", "request_key",
    # namespaces, mounts and roots
    "chroot", "fsconfig", "fsmount", "fsopen", "fspick", "mount", "mount_setattr",
    "move_mount", "open_tree", "pivot_root", "setns", "umount", "umount2", "unshare",
    # io_uring runs calls the filter never sees
    "io_uring_enter", "io_uring_register", "io_uring_setup",
)  # fmt: skip

CLONE_NEW = {
    "CLONE_NEWNS": 0x00020000,
    "CLONE_NEWCGROUP": 0x02000000,
    "CLONE_NEWUTS": 0x04000000,
    "CLONE_NEWIPC": 0x08000000,
    "CLONE_NEWUSER": 0x10000000,
    "CLONE_NEWPID": 0x20000000,
    "CLONE_NEWNET": 0x40000000,
}


def build():
    """The filter: allow by default, refuse the calls above."""
    import seccomp

    rules = seccomp.SyscallFilter(defaction=seccomp.ALLOW)
    for name in DENIED:
        try:
            rules.add_rule(seccomp.ERRNO(errno.EPERM), name)
        except (RuntimeError, ValueError, OSError):  # a call this architecture lacks
            continue
    for flag in CLONE_NEW.values():
        rules.add_rule(
            seccomp.ERRNO(errno.EPERM), "clone", seccomp.Arg(0, seccomp.MASKED_EQ, flag, flag)
        )
    rules.add_rule(seccomp.ERRNO(errno.ENOSYS), "clone3")
    return rules


def main(arguments: list[str]) -> None:
    if arguments[:1] == ["--export"]:
        sys.stdout.flush()
        build().export_bpf(sys.stdout)
        sys.stdout.flush()
    elif arguments[:1] == ["--exec"] and len(arguments) > 1:
        build().load()
        os.execvp(arguments[1], arguments[1:])
    else:
        sys.exit("usage: seccomp_filter.py --export | --exec COMMAND...")


if __name__ == "__main__":
    main(sys.argv[1:])
