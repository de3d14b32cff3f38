# SPDX-License-Identifier: GPL-2.0
#
# gdb's half of bench/trace/trace.sh (README.md), run as
#   gdb -nx -batch -x trace_gdb.py
# with TRACE_SOCK (qemu's gdbstub, a unix socket), TRACE_ENTRY (the
# runtime address of entry_SYSCALL_64), TRACE_OPS (the ops, in the order
# kvs_trace_prog runs them), TRACE_DIR (where the traces go) and
# TRACE_MAX_STEPS (a bound per op).
#
# It stops the guest at entry_SYSCALL_64 (a hardware breakpoint: the
# kernel's text is read-only) on every system call and looks at r10, the
# 4th argument, which kvs_trace_prog sets to a marker:
#  - KVS_TRACE_WAIT | i: the program waits for us before op i: its
#    getppid() becomes syscall 0xffff (-ENOSYS), which releases it;
#  - KVS_TRACE_CALL | i: the traced call of op i: single-step (stepi,
#    qemu's default: interrupts and timers masked while stepping) until
#    RIP is a user address, recording RIP and RSP at each instruction and
#    each new RIP's disassembly.
# Anything else: continue.
import os
import sys
import time

import gdb

KVS_TRACE_WAIT = 0x4B56535741495400
KVS_TRACE_CALL = 0x4B565343414C4C00
MARK_MASK = ~0xFF & 0xFFFFFFFFFFFFFFFF
USER_TOP = 0xFFFF800000000000
U64 = 0xFFFFFFFFFFFFFFFF
# the syscall numbers the ops make (x86-64)
OP_NR = {
    "h_get": 16, "h_get_absent": 16, "h_mget64": 16, "h_mget1": 16,
    "bpf_lookup": 321, "getppid": 110,
}


def log(msg):
    print("trace-gdb: " + msg, flush=True)


# qemu's x86-64 register numbers ("p" packet): rsp 7, rip 16
RSP_REGNO = 7
PC_REGNO = 16


def packet(p):
    out = gdb.execute("maint packet " + p, to_string=True)
    i = out.find("received: \"")
    if i < 0:
        raise gdb.GdbError("no answer to packet %s: %r" % (p, out))
    return out[i + 11:out.rindex("\"")]


def rawreg(n):
    return int.from_bytes(bytes.fromhex(packet("p%x" % n)), "little")


def reg(frame, name):
    return int(frame.read_register(name)) & U64


def run():
    sock = os.environ["TRACE_SOCK"]
    entry = int(os.environ["TRACE_ENTRY"], 16)
    ops = os.environ["TRACE_OPS"].split()
    outdir = os.environ["TRACE_DIR"]
    max_steps = int(os.environ.get("TRACE_MAX_STEPS", "1000000"))

    for c in ("set pagination off", "set confirm off", "set verbose off",
              "set width 0", "set architecture i386:x86-64",
              "set code-cache on",
              "set stack-cache off"):
        gdb.execute(c, to_string=True)
    gdb.execute("target remote " + sock, to_string=True)
    # with 2 vCPUs (--tcg), step only the one that made the call
    gdb.execute("set scheduler-locking step", to_string=True)
    try:
        sstep = gdb.execute("maint packet qqemu.sstep", to_string=True)
        sstep = sstep.strip().splitlines()[-1].split(":", 1)[-1].strip(' "')
    except gdb.error as e:
        sstep = "? (%s)" % e
    # 0x7: SSTEP_ENABLE | SSTEP_NOIRQ | SSTEP_NOTIMER
    log("attached to %s; qemu single-step flags %s" % (sock, sstep))
    with open(os.path.join(outdir, "sstep"), "w") as f:
        f.write(sstep + "\n")

    for idx, op in enumerate(ops):
        bp = gdb.Breakpoint("*%#x" % entry, type=gdb.BP_HARDWARE_BREAKPOINT,
                            internal=True)
        released = False
        other = 0
        while True:
            try:
                gdb.execute("continue", to_string=True)
                frame = gdb.selected_frame()
            except gdb.error as e:
                raise gdb.GdbError("the guest went away before the traced "
                                   "call of op %d %s (%s)" % (idx, op, e))
            if reg(frame, "pc") != entry:
                raise gdb.GdbError("stopped at %#x, not at entry_SYSCALL_64"
                                   % reg(frame, "pc"))
            r10, rax = reg(frame, "r10"), reg(frame, "rax")
            if r10 == KVS_TRACE_WAIT | idx and rax == 110:
                gdb.execute("set $rax = 0xffff", to_string=True)
                if not released:
                    log("op %d %s: released the program" % (idx, op))
                released = True
                continue
            if r10 == KVS_TRACE_CALL | idx:
                if rax != OP_NR[op]:
                    raise gdb.GdbError("op %s: marked syscall %d, not %d"
                                       % (op, rax, OP_NR[op]))
                break
            if r10 & MARK_MASK in (KVS_TRACE_WAIT, KVS_TRACE_CALL):
                raise gdb.GdbError("op %d %s: a marker of op %d"
                                   % (idx, op, r10 & 0xFF))
            other += 1
        bp.delete()
        args = [reg(frame, r) for r in ("rdi", "rsi", "rdx")]
        log("op %d %s: syscall %d (%#x, %#x, %#x) at entry_SYSCALL_64 "
            "(%d other syscalls seen); stepping"
            % (idx, op, rax, args[0], args[1], args[2], other))
        arch = frame.architecture()
        disas = {}
        trace = []
        t0 = time.time()
        pc, rsp = reg(frame, "pc"), reg(frame, "rsp")
        # Raw packets: "s" and two register reads a step, not gdb's stepi
        # (which also unwinds and prints a frame each time).
        while pc >= USER_TOP:
            trace.append((pc, rsp))
            if pc not in disas:
                d = arch.disassemble(pc)[0]
                disas[pc] = (d["length"], d["asm"])
            if len(trace) >= max_steps:
                raise gdb.GdbError("op %s: still in the kernel after %d steps"
                                   % (op, max_steps))
            r = packet("s")
            if r[:1] not in ("T", "S"):
                raise gdb.GdbError("op %s: step answered %r" % (op, r))
            pc, rsp = rawreg(PC_REGNO), rawreg(RSP_REGNO)
        gdb.execute("maint flush register-cache", to_string=True)
        dt = time.time() - t0
        base = os.path.join(outdir, "%d-%s" % (idx, op))
        with open(base + ".trace", "w") as f:
            f.write("# op %s syscall %d args %#x %#x %#x; back in user "
                    "space at %#x\n" % (op, rax, args[0], args[1], args[2], pc))
            for p, s in trace:
                f.write("%x %x\n" % (p, s))
        with open(base + ".disas", "w") as f:
            for p in sorted(disas):
                f.write("%x %d %s\n" % (p, disas[p][0], disas[p][1]))
        log("op %d %s: %d instructions, back in user space at %#x "
            "(%.1f s, %.0f steps/s)"
            % (idx, op, len(trace), pc, dt, len(trace) / max(dt, 1e-6)))
    gdb.execute("detach", to_string=True)
    log("detached")


try:
    run()
except Exception as e:  # gdb.error, GdbError, OSError: all fatal
    log("FAILED: %s" % e)
    sys.stdout.flush()
    os._exit(1)
os._exit(0)
