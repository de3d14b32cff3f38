#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The report of bench/trace/trace.sh (README.md): one op's trace
(I-OP.trace, RIP and RSP of every instruction the guest executed from
entry_SYSCALL_64 to the return to user space; I-OP.disas, each RIP's
instruction) named with the text symbols of the guest's /proc/kallsyms
(kernel and modules, as loaded), and counted:

 - the total, and how much of it is rep iterations (qemu, like -icount,
   counts a rep-prefixed string instruction once per iteration);
 - per function: instructions inside it (exclusive); inclusive
   (instructions while it is on the stack, by call/ret tracking, see
   below); times entered at its first byte ("calls": by call, by a
   retpoline thunk's ret, or by a tail jump) and from how many places;
 - the call tree, merged by call path (so the 64 keys of an H_MGET add up);
 - with --listing, every instruction of the kvstore functions that ran
   ("count symbol+offset instruction"); OUT.listing has them for all.

Inclusive counts: a call pushes a frame (the address of its return slot,
the caller); a frame is popped once RSP is above its slot (a ret, or a
retpoline thunk's ret to its target). A jump to the first byte of another
function with RSP at the jumper's return slot (a tail call) pushes a frame
too, popped with the frame below it (the callee's ret) or when the jumper
is jumped back to. The entry code's jumps between its labels are no calls. A function that
a retpoline thunk enters counts under the thunk's caller.
"""
import argparse
import bisect
import collections
import os
import re
import sys

USER_TOP = 0xFFFF800000000000
THUNKS = ("__x86_indirect_thunk_", "__x86_indirect_call_thunk_",
          "__x86_return_thunk", "__x86_indirect_jump_thunk_")


class Symbols:
    """Text symbols of the guest's /proc/kallsyms (kernel and modules)."""

    def __init__(self, kallsyms, results):
        entries = []
        anchors = {}
        with open(kallsyms) as f:
            for line in f:
                w = line.split()
                if len(w) == 2:
                    a, n, m = int(w[0], 16), w[1], None
                    if n in ("_stext", "_etext"):
                        anchors[n] = a
                elif len(w) == 3:
                    a, n, m = int(w[0], 16), w[1], w[2].strip("[]")
                else:
                    continue
                if a:
                    entries.append((a, n, m))
        if "_stext" not in anchors or "_etext" not in anchors:
            sys.exit("report: no _stext/_etext in " + kallsyms)
        self.ktext = (anchors["_stext"], anchors["_etext"])
        self.modules = {}
        block = False
        with open(results, errors="replace") as f:
            for line in f:
                line = line.rstrip("\r\n")
                if line in ("MODULES-BEGIN", "MODULES-END"):
                    block = line == "MODULES-BEGIN"
                    continue
                w = line.split()
                if block and len(w) >= 6 and w[0] != "section":
                    lo = int(w[5], 16)
                    self.modules[w[0]] = (lo, lo + int(w[1]))
        entries.sort()
        self.addrs = [e[0] for e in entries]
        self.names = [e[1] for e in entries]
        self.mods = [e[2] for e in entries]
        self.start = {}
        for a, n, m in entries:
            self.start.setdefault(self.label(n, m), a)

    @staticmethod
    def label(name, mod):
        return "%s [%s]" % (name, mod) if mod else name

    def module_of(self, pc):
        for m, (lo, hi) in self.modules.items():
            if lo <= pc < hi:
                return m, lo
        return None, None

    def lookup(self, pc):
        """(function label, offset)"""
        i = bisect.bisect_right(self.addrs, pc) - 1
        in_kernel = self.ktext[0] <= pc < self.ktext[1]
        mod, base = self.module_of(pc)
        if i >= 0 and ((in_kernel and self.mods[i] is None) or
                       (mod is not None and self.mods[i] == mod)):
            return self.label(self.names[i], self.mods[i]), pc - self.addrs[i]
        if mod is not None:
            return "[%s]" % mod, pc - base
        return "?%#x" % (pc & ~0xFFF), pc & 0xFFF


BRANCH_TARGET = re.compile(r"^(call|j[a-z]+)\s+0x([0-9a-f]+)$")


def annotate(disas, syms):
    """Name the targets of direct calls and jumps that leave the function."""
    for pc, (n, asm) in disas.items():
        m = BRANCH_TARGET.match(asm)
        if not m:
            continue
        target = int(m.group(2), 16)
        fn, off = syms.lookup(target)
        if fn != syms.lookup(pc)[0]:
            disas[pc] = (n, "%s  <%s%s>" % (asm, fn.split(" ")[0],
                                            "+%#x" % off if off else ""))


def load_trace(path):
    steps, note = [], ""
    with open(path) as f:
        for line in f:
            if line.startswith("#"):
                note = line[1:].strip()
                continue
            a, b = line.split()
            steps.append((int(a, 16), int(b, 16)))
    disas = {}
    dpath = path[:-len(".trace")] + ".disas"
    with open(dpath) as f:
        for line in f:
            a, n, asm = line.rstrip("\n").split(" ", 2)
            disas[int(a, 16)] = (int(n), asm)
    return steps, disas, note


def mnemonic(asm):
    w = asm.split()
    return w[0] if w else ""


def analyse(steps, disas, syms):
    res = {}
    names = {}

    def name(pc):
        if pc not in names:
            names[pc] = syms.lookup(pc)
        return names[pc][0]

    excl = collections.Counter()
    incl = collections.Counter()
    calls = collections.Counter()
    sites = collections.defaultdict(set)
    per_pc = collections.Counter()
    tree = collections.Counter()
    tree_excl = collections.Counter()
    tree_calls = collections.Counter()
    tree_order = {}
    frames = []		# [return slot, caller, call pc, tail call?]
    rep_extra = 0
    rep_insns = 0
    irq = collections.Counter()
    seq = []
    prev_pc = prev_fn = prev_asm = None
    for pc, rsp in steps:
        fn = name(pc)
        asm = disas.get(pc, (0, "?"))[1]
        while frames and rsp > frames[-1][0]:
            frames.pop()
        # back by a jump in the function that tail-jumped: its frame ends
        while frames and frames[-1][3] and frames[-1][1] == fn:
            frames.pop()
        prev_call = (prev_asm or "").startswith("call")
        entered = pc == syms.start.get(fn) and (prev_fn != fn or prev_call)
        if prev_call:
            frames.append([rsp, prev_fn, prev_pc, False])
        elif entered and mnemonic(prev_asm or "").startswith("j") and \
                not prev_fn.startswith(THUNKS) and frames and \
                frames[-1][0] == rsp:
            # a tail call (the jumper's stack as it was entered): a frame
            # of its own, ended with the one below (the callee's ret)
            frames.append([rsp, prev_fn, prev_pc, True])
        if entered:
            calls[fn] += 1
            if prev_call:
                site = prev_pc
            elif prev_fn and prev_fn.startswith(THUNKS) and frames:
                site = frames[-1][2]
            else:
                site = prev_pc
            sites[fn].add(site)
        if pc == prev_pc and mnemonic(asm) in ("rep", "repz", "repnz", "repe", "repne"):
            rep_extra += 1
        elif mnemonic(asm) in ("rep", "repz", "repnz", "repe", "repne"):
            rep_insns += 1
        if fn.startswith(("asm_exc_", "asm_sysvec_", "asm_common_interrupt",
                          "asm_spurious", "irq_entries_start", "common_interrupt",
                          "__sysvec_", "sysvec_", "exc_")):
            irq[fn] += 1
        excl[fn] += 1
        per_pc[pc] += 1
        path = tuple(f[1] for f in frames) + (fn,)
        for f in set(path):
            incl[f] += 1
        for d in range(1, len(path) + 1):
            p = path[:d]
            tree[p] += 1
            tree_order.setdefault(p, len(tree_order))
        tree_excl[path] += 1
        if entered:
            tree_calls[path] += 1
        seq.append((len(frames), pc, fn, asm))
        prev_pc, prev_fn, prev_asm = pc, fn, asm
    res.update(excl=excl, incl=incl, calls=calls, sites=sites, per_pc=per_pc,
               tree=tree, tree_excl=tree_excl, tree_calls=tree_calls,
               tree_order=tree_order, rep_extra=rep_extra, rep_insns=rep_insns,
               irq=irq, seq=seq, names=names)
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kallsyms", required=True,
                    help="the guest's text symbols: ADDR NAME [[MODULE]]")
    ap.add_argument("--results", required=True,
                    help="the guest's results.tap (its /proc/modules)")
    ap.add_argument("--out", required=True, help="prefix of the files written")
    ap.add_argument("--listing", action="store_true")
    ap.add_argument("--module", default="kvstore",
                    help="module whose functions --listing prints")
    ap.add_argument("trace")
    a = ap.parse_args()

    syms = Symbols(a.kallsyms, a.results)
    steps, disas, note = load_trace(a.trace)
    op = os.path.basename(a.trace)[:-len(".trace")].split("-", 1)[1]
    r = analyse(steps, disas, syms)
    annotate(disas, syms)
    total = len(steps)
    names = r["names"]
    w = sys.stdout.write

    w("== %s: %s\n" % (op, note))
    w("%d instructions from entry_SYSCALL_64 to the return to user space "
      "(the sysret/iret included)\n" % total)
    if r["rep_extra"] or r["rep_insns"]:
        w("  of which %d are further iterations of %d rep-prefixed string "
          "instructions (qemu and -icount count each iteration; as x86 "
          "retires them: %d)\n"
          % (r["rep_extra"], r["rep_insns"], total - r["rep_extra"]))
    else:
        w("  no rep-prefixed string instruction ran\n")
    if r["irq"]:
        w("  interrupt/exception code in the trace: %s\n" %
          ", ".join("%s %d" % kv for kv in r["irq"].most_common()))
    else:
        w("  no interrupt or exception entry in the trace\n")
    mod_total = sum(c for f, c in r["excl"].items() if f.endswith("[%s]" % a.module))
    w("  inside %s's functions: %d\n" % (a.module, mod_total))
    with open(a.out + ".summary", "w") as f:
        f.write("%s %d %d %d\n" % (op, total, total - r["rep_extra"], mod_total))
    w("\n%-48s %7s %6s %7s %6s %6s\n" %
      ("function (exclusive, by count)", "excl", "%", "incl", "calls", "sites"))
    for fn, c in sorted(r["excl"].items(), key=lambda kv: (-kv[1], kv[0])):
        w("%-48s %7d %5.1f%% %7d %6d %6d\n" %
          (fn, c, 100.0 * c / total, r["incl"][fn], r["calls"][fn],
           len(r["sites"][fn])))
    w("%-48s %7d\n" % ("total", total))

    # the call tree, merged by path
    w("\ncall tree (merged by call path; inclusive, exclusive, calls; "
      "paths under %d instructions left out)\n" % max(2, total // 500))
    keep = max(2, total // 500)
    for p in sorted(r["tree"], key=lambda p: [r["tree_order"][p[:d]] for d in
                                              range(1, len(p) + 1)]):
        if r["tree"][p] < keep:
            continue
        w("%7d %7d %5s  %s%s\n" % (r["tree"][p], r["tree_excl"][p],
                                   r["tree_calls"][p] or "", "  " * (len(p) - 1), p[-1]))

    # listings
    by_fn = collections.defaultdict(list)
    for pc, c in r["per_pc"].items():
        by_fn[names[pc][0]].append(pc)
    order = sorted(by_fn, key=lambda f: -r["excl"][f])
    with open(a.out + ".listing", "w") as f:
        for fn in order:
            f.write(listing(fn, by_fn[fn], r, disas, names))
    with open(a.out + ".seq", "w") as f:
        for i, (depth, pc, fn, asm) in enumerate(r["seq"]):
            f.write("%6d %s%s+%#x  %s\n" % (i + 1, "  " * depth, fn,
                                           names[pc][1], asm))
    mine = [fn for fn in order if fn.endswith("[%s]" % a.module)]
    if a.listing and mine:
        where = os.path.relpath(a.out)
        w("\nlisting of %s's functions (count symbol+offset instruction); all "
          "functions: %s.listing, the trace in order: %s.seq\n" %
          (a.module, where, where))
        for fn in mine:
            w(listing(fn, by_fn[fn], r, disas, names))
    w("\n")


def listing(fn, pcs, r, disas, names):
    out = ["-- %s: %d instructions, %d calls\n" % (fn, r["excl"][fn], r["calls"][fn])]
    for pc in sorted(pcs):
        out.append("%7d %s+%#x  %s\n" % (r["per_pc"][pc], fn.split(" ")[0],
                                          names[pc][1], disas.get(pc, (0, "?"))[1]))
    return "".join(out)


if __name__ == "__main__":
    main()
