#!/usr/bin/python3
# qemu_reset.py: what a cheaper reset of the qemu target would gain, measured:
# a fresh QEMU (start to the agent's first doorbell byte) against QMP's
# system_reset of a running one (reset to the first doorbell byte).
#
#   bench/qemu_reset.py BUILD_DIR [pc|microvm] [ROUNDS]
#
# Runs the build's QEMU (BUILD_DIR/cache/qemu, `ninja -C build qemu`) on the
# build's agent (BUILD_DIR/guests/hcf-agent.elf), guest RAM in a memfd as the
# target has it, the doorbell on a pipe, QMP on a socketpair. Without
# -no-reboot: under it QEMU turns a QMP reset into an exit. Prints medians.
import json, os, select, socket, statistics, subprocess, sys, time

build = sys.argv[1] if len(sys.argv) > 1 else "build"
machine = sys.argv[2] if len(sys.argv) > 2 else "pc"
rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 7
qemu = os.path.join(build, "cache/qemu/qemu-system-x86_64")
agent = os.path.join(build, "guests/hcf-agent.elf")
if not os.access(qemu, os.X_OK):
    print("SKIP qemu_reset: no QEMU in %s (ninja -C %s qemu)" % (qemu, build))
    sys.exit(77)


def first_byte(fd, since):
    """Seconds from since to the first byte on fd (10 s at most)."""
    if not select.select([fd], [], [], 10)[0]:
        raise SystemExit("FAIL qemu_reset: no doorbell within 10 s")
    os.read(fd, 4096)
    return time.time() - since


def drain(fd):
    time.sleep(0.2)
    while select.select([fd], [], [], 0)[0]:
        os.read(fd, 4096)


def start():
    ram = os.memfd_create("ram", 0)
    os.ftruncate(ram, 16 << 20)
    r, w = os.pipe()
    qa, qb = socket.socketpair()
    args = [qemu, "-nodefaults", "-nographic", "-monitor", "none", "-serial", "none",
            "-M", machine + ",memory-backend=ram", "-accel", "tcg", "-cpu", "max", "-m", "16M",
            "-object", "memory-backend-file,id=ram,size=16M,mem-path=/proc/self/fd/%d,share=on" % ram,
            "-kernel", agent,
            "-chardev", "file,id=bell,path=/dev/fd/%d" % w,
            "-device", "isa-debugcon,iobase=0xe8,chardev=bell",
            "-chardev", "socket,id=qmp,fd=%d" % qb.fileno(), "-mon", "chardev=qmp,mode=control"]
    t0 = time.time()
    p = subprocess.Popen(args, pass_fds=[w, qb.fileno(), ram], stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    boot = first_byte(r, t0)
    for fd in (w, ram):
        os.close(fd)
    qb.close()
    return p, r, qa.makefile("rw"), boot


fresh, reset = [], []
for _ in range(rounds):
    p, r, qmp, boot = start()
    fresh.append(boot)
    drain(r)
    qmp.readline()
    qmp.write(json.dumps({"execute": "qmp_capabilities"}) + "\n")
    qmp.flush()
    qmp.readline()
    t0 = time.time()
    qmp.write(json.dumps({"execute": "system_reset"}) + "\n")
    qmp.flush()
    reset.append(first_byte(r, t0))
    p.kill()
    p.wait()
    os.close(r)
f, s = statistics.median(fresh), statistics.median(reset)
print("qemu_reset: -M %s, median of %d" % (machine, rounds))
print("  fresh QEMU to the agent's first doorbell   %8.3f s" % f)
print("  QMP system_reset to the first doorbell     %8.3f s" % s)
print("  ratio fresh/reset                          %8.1f" % (f / s))
