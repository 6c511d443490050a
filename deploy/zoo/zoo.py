"""The zoo's runner: reads issuers.toml and backends/*.toml and starts, stops and proves them.

    python3 zoo.py start [name...]   # what deploy/zoo/start.sh runs (system python3 >= 3.11)
    python3 zoo.py stop              # deploy/zoo/stop.sh
    python/.venv/bin/python zoo.py prove [name...]   # deploy/zoo/prove.sh (needs `cryptography`)
    python3 zoo.py list              # the manifests, checked

Everything binds 127.0.0.1. Runtime state goes to run/: <name>.pid (line 1 the pid, line 2 the path
that /proc/<pid>/cmdline must still contain before stop signals it), <name>.log, issuer-<name>.db,
keys/<issuer>.json (each issuer's private signing JWK) and zoo.json (what runs where). Every process
is started in its own session (setsid), so it outlives the script and is stopped as a process group.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import tomllib
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ZOO = Path(__file__).resolve().parent
DEPLOY = ZOO.parent
AUTH_SERVER = DEPLOY / "auth-server"
RUN = ZOO / "run"
PROFILES = RUN / "profiles"
KEYS = RUN / "keys"
STATE = RUN / "zoo.json"
HOST = "127.0.0.1"
NAME_RE = re.compile(r"^[a-z0-9-]+$")
# The flaw classes of specs/002-auth-security-integration/contracts/findings.md §2 (authprobe's
# FlawClass names; tests/zoo_manifests.rs keeps this list and that table in step).
FLAW_CLASSES = {
    "signature-not-verified", "alg-none", "key-confusion", "embedded-key-trusted", "kid-injection",
    "expired-accepted", "not-yet-valid-accepted", "audience-not-checked", "issuer-not-checked",
    "server-error", "leak", "ssrf", "token-in-url", "token-placement", "claim-not-required",
    "authorization", "cors", "auth-server", "encoding", "contract", "strictness",
    "key-adoption", "key-retirement", "jwks-fetch-amplification", "jwks-outage", "revocation-lag",
    "denial-of-service",
}
PRIVATE_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "oth"}


class Fail(Exception):
    """A clear error for the user; the script prints it and exits 1."""


def say(cmd: str, text: str) -> None:
    print(f"{cmd}: {text}", flush=True)


# --- manifests -----------------------------------------------------------------------------------


def load_issuers() -> dict[str, dict]:
    path = ZOO / "issuers.toml"
    try:
        table = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise Fail(f"{path}: {err}") from None
    issuers = {}
    for name, entry in table.items():
        if not NAME_RE.match(name) or not isinstance(entry, dict):
            raise Fail(f"issuers.toml: [{name}] must be a table named [a-z0-9-]+")
        alg, port = entry.get("alg"), entry.get("port")
        if not isinstance(alg, str) or not isinstance(port, int):
            raise Fail(f"issuers.toml: [{name}] needs alg (string) and port (integer)")
        admin_plugin = entry.get("admin_plugin", False)
        if not isinstance(admin_plugin, bool):
            raise Fail(f"issuers.toml: [{name}] admin_plugin must be true or false")
        url = f"http://{HOST}:{port}"
        issuers[name] = {"name": name, "alg": alg, "port": port, "url": url, "admin_plugin": admin_plugin, "jwks_url": f"{url}/api/auth/jwks",
                         "pid": RUN / f"issuer-{name}.pid", "log": RUN / f"issuer-{name}.log",
                         "db": RUN / f"issuer-{name}.db"}
    return issuers


def load_backends(issuers: dict[str, dict]) -> dict[str, dict]:
    backends = {}
    for path in sorted((ZOO / "backends").glob("*.toml")):
        where = f"backends/{path.name}"
        try:
            m = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as err:
            raise Fail(f"{where}: {err}") from None
        name = path.stem
        problems = []
        if m.get("name") != name or not NAME_RE.match(name):
            problems.append(f"name must be the file stem {name!r} ([a-z0-9-]+)")
        for key in ("description", "language", "framework", "library"):
            if not isinstance(m.get(key), str) or not m[key]:
                problems.append(f"{key} must be a non-empty string")
        if m.get("issuer") not in issuers:
            problems.append(f"issuer {m.get('issuer')!r} is not in issuers.toml ({', '.join(issuers)})")
        if not isinstance(m.get("port"), int) or not 1024 <= m["port"] <= 65535:
            problems.append("port must be an integer 1024-65535")
        env = m.get("env", {})
        if not isinstance(env, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in env.items()):
            problems.append("env must be a table of strings (extra environment for the backend)")
        start = m.get("start")
        if not isinstance(start, list) or not start or not all(isinstance(a, str) and a for a in start):
            problems.append("start must be a non-empty list of strings (argv, cwd deploy/zoo)")
        if "openapi" in m and not (isinstance(m["openapi"], str) and m["openapi"].startswith("/")):
            problems.append("openapi must be the path of the backend's OpenAPI document, e.g. \"/openapi.json\"")
        if not isinstance(m.get("compliant"), bool):
            problems.append("compliant must be true or false")
        elif not m["compliant"]:
            flaw = m.get("flaw")
            if not isinstance(flaw, dict):
                problems.append("a flawed backend needs a [flaw] table")
            else:
                if not isinstance(flaw.get("proof"), str) or not (ZOO / flaw["proof"]).is_file():
                    problems.append(f"[flaw] proof {flaw.get('proof')!r} is not a file under deploy/zoo")
                for key in ("must_report", "may_report"):
                    classes = flaw.get(key, [] if key == "may_report" else None)
                    if not isinstance(classes, list) or (key == "must_report" and not classes):
                        problems.append(f"[flaw] {key} must be a list" + (" (non-empty)" if key == "must_report" else ""))
                    elif unknown := [c for c in classes if c not in FLAW_CLASSES]:
                        problems.append(f"[flaw] {key} has unknown classes {unknown}")
        elif "flaw" in m:
            problems.append("a compliant backend has no [flaw] table")
        if problems:
            raise Fail(f"{where}: " + "; ".join(problems))
        m["pid"], m["log"] = RUN / f"{name}.pid", RUN / f"{name}.log"
        m["url"] = f"http://{HOST}:{m['port']}"
        backends[name] = m
    ports: dict[int, str] = {i["port"]: f"issuer {n}" for n, i in issuers.items()}
    for name, m in backends.items():
        if m["port"] in ports:
            raise Fail(f"backends/{name}.toml: port {m['port']} is also used by {ports[m['port']]}")
        ports[m["port"]] = f"backend {name}"
    return backends


def runtime_problem(m: dict) -> str | None:
    """Why this backend's runtime is not installed (None if it looks runnable)."""
    argv0 = m["start"][0]
    if "/" in argv0:
        exe = ZOO / argv0
        if not (exe.is_file() and os.access(exe, os.X_OK)):
            return f"{argv0} is missing (not built/installed)"
    elif shutil.which(argv0) is None:
        return f"{argv0!r} is not on PATH"
    for arg in m["start"]:
        top = arg.split("/", 1)[0]
        if top == "node" and "/" in arg:
            if not (ZOO / arg).is_file():
                return f"{arg} does not exist"
            if not (ZOO / "node" / "node_modules" / ".authprobe-install-stamp").is_file():
                return "node/node_modules is not installed"
        if top == "python" and "/" in arg:
            if not (ZOO / arg).exists():
                return f"{arg} does not exist"
            if not (ZOO / "python" / ".venv" / ".authprobe-install-stamp").is_file():
                return "python/.venv is not installed"
    return None


# --- processes -----------------------------------------------------------------------------------


def port_busy(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((HOST, port)) == 0


def http_status(url: str, timeout: float = 2) -> int | None:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=timeout) as resp:
            resp.read()
            return resp.status
    except urllib.error.HTTPError as err:
        return err.code
    except (urllib.error.URLError, OSError):
        return None


def http_json(url: str) -> dict:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(url, timeout=5) as resp:
        return json.loads(resp.read())


def base_env() -> dict[str, str]:
    """The environment every zoo process starts from: only what a process needs to run."""
    env = {k: os.environ[k] for k in ("PATH", "HOME", "LANG", "LC_ALL", "TZ", "TMPDIR") if k in os.environ}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def issuer_env(issuer: dict) -> dict[str, str]:
    # NODE_ENV and TEST stay unset (NODE_ENV=test or TEST turns Better Auth's origin/CSRF checks off);
    # BETTER_AUTH_SECRET stays unset: the lab secret of auth.mjs, for the server and the key export.
    # AUTH_LAB_CONTROL=1: the lab control plane of server.mjs (rotate and retire keys, count JWKS
    # fetches, take the key set down, appoint an admin) for authprobe's key-lifecycle measurements.
    # BA_ADMIN_PLUGIN=1 (issuers.toml admin_plugin): Better Auth's admin() plugin, for bans.
    env = {**base_env(), "AUTH_PORT": str(issuer["port"]), "BA_ALG": issuer["alg"],
           "AUTH_DB_PATH": str(issuer["db"]), "BETTER_AUTH_URL": issuer["url"], "AUTH_LAB_CONTROL": "1"}
    if issuer["admin_plugin"]:
        env["BA_ADMIN_PLUGIN"] = "1"
    return env


def backend_env(m: dict, issuer: dict) -> dict[str, str]:
    return {**base_env(), **m.get("env", {}), "PORT": str(m["port"]), "ISSUER_URL": issuer["url"],
            "JWKS_URL": issuer["jwks_url"], "ISSUER": issuer["url"], "AUDIENCE": issuer["url"]}


def spawn(argv: list[str], cwd: Path, env: dict, log: Path, pidfile: Path, marker: str) -> subprocess.Popen:
    with open(log, "wb") as out:
        proc = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
    pidfile.write_text(f"{proc.pid}\n{marker}\n", encoding="utf-8")
    return proc


def cmdline(pid: int) -> str | None:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
    except OSError:
        return None


def proc_stats():
    """(pid, the fields of /proc/<pid>/stat after the command name) of every process."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        yield int(entry), stat[stat.rindex(")") + 2:].split()


def group_members(pgid: int) -> list[int]:
    """Live processes whose process group is pgid (zombies excluded)."""
    return [pid for pid, fields in proc_stats() if fields[0] != "Z" and int(fields[2]) == pgid]


def stop_all(cmd: str = "stop", grace: float | None = None) -> int:
    """TERM every process group named by run/*.pid whose leader still runs what was started; KILL
    after the grace period; remove the pid files. Returns how many were stopped."""
    grace = float(os.environ.get("STOP_GRACE", "10")) if grace is None else grace
    targets = []
    for pidfile in sorted(RUN.glob("*.pid")) if RUN.is_dir() else []:
        lines = pidfile.read_text(encoding="utf-8", errors="replace").splitlines()
        name = pidfile.stem
        pid = int(lines[0]) if lines and lines[0].strip().isdigit() else None
        marker = lines[1] if len(lines) > 1 else None
        line = cmdline(pid) if pid else None
        if pid and marker and line is not None and marker in line:
            try:
                os.killpg(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            targets.append((name, pid, pidfile))
        else:
            say(cmd, f"{name} (pid {pid}) was not running")
            pidfile.unlink(missing_ok=True)
    deadline = time.monotonic() + grace
    while targets and time.monotonic() < deadline and any(group_members(pid) for _, pid, _ in targets):
        time.sleep(0.1)
    for name, pid, pidfile in targets:
        if group_members(pid):
            say(cmd, f"{name} (pid {pid}) ignored TERM for {grace:g} s; sending KILL")
            try:
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            for _ in range(50):
                if not group_members(pid):
                    break
                time.sleep(0.1)
        say(cmd, f"{name} (pid {pid}) stopped")
        pidfile.unlink(missing_ok=True)
    STATE.unlink(missing_ok=True)
    return len(targets)


def tail(path: Path, lines: int = 25) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


# --- start ---------------------------------------------------------------------------------------


class StartFailed(Exception):
    """Start-up failed; labels name the processes whose logs tell why."""

    def __init__(self, message: str, labels: list[str]):
        super().__init__(message)
        self.labels = labels


def export_key(issuer: dict) -> dict:
    """run/keys/<issuer>.json via deploy/auth-server/export-signing-key.mjs; checked against the JWKS."""
    out = subprocess.run(["node", "export-signing-key.mjs"], cwd=AUTH_SERVER, env=issuer_env(issuer),
                         capture_output=True, text=True, timeout=60)
    if out.returncode != 0:
        raise StartFailed(f"exporting the key of issuer {issuer['name']} failed: {out.stderr.strip() or out.stdout.strip()}",
                          [f"issuer {issuer['name']}"])
    key = json.loads(out.stdout)
    published = {k.get("kid"): k for k in http_json(issuer["jwks_url"]).get("keys", [])}
    public = {m: v for m, v in key.items() if m not in PRIVATE_MEMBERS}
    if published.get(key.get("kid")) != public:
        raise StartFailed(f"issuer {issuer['name']}: the exported key {key.get('kid')} is not the one its JWKS publishes",
                          [f"issuer {issuer['name']}"])
    if key.get("alg") != issuer["alg"]:
        raise StartFailed(f"issuer {issuer['name']}: exported a {key.get('alg')} key, {issuer['alg']} expected",
                          [f"issuer {issuer['name']}"])
    path = KEYS / f"{issuer['name']}.json"
    path.write_text(json.dumps(key) + "\n", encoding="utf-8")
    path.chmod(0o600)
    return key


def cmd_start(names: list[str]) -> int:
    t0 = time.monotonic()
    issuers = load_issuers()
    backends = load_backends(issuers)
    if names:
        unknown = [n for n in names if n not in backends]
        if unknown:
            raise Fail(f"no manifest backends/<name>.toml for: {', '.join(unknown)}")
        backends = {n: backends[n] for n in names}
        issuers = {n: i for n, i in issuers.items() if any(m["issuer"] == n for m in backends.values())}
    if not (AUTH_SERVER / "node_modules" / ".authprobe-install-stamp").is_file():
        raise Fail("Better Auth is not installed (deploy/auth-server/node_modules): run deploy/zoo/install.sh")
    if shutil.which("node") is None:
        raise Fail("node is not on PATH")
    missing = [f"{n}: {p}" for n, m in backends.items() if (p := runtime_problem(m))]
    if missing:
        raise Fail("runtime not installed for " + "; ".join(missing) + " (run deploy/zoo/install.sh)")

    if RUN.is_dir() and any(RUN.glob("*.pid")):
        say("start", "a zoo is running (or left pid files); stopping it first")
        stop_all("start")
    busy = [f"{port} ({what})" for what, port in
            [(f"issuer {n}", i["port"]) for n, i in issuers.items()] +
            [(f"backend {n}", m["port"]) for n, m in backends.items()] if port_busy(port)]
    if busy:
        raise Fail(f"127.0.0.1 ports already in use: {', '.join(busy)}")

    RUN.mkdir(exist_ok=True)
    KEYS.mkdir(exist_ok=True)
    for old in list(RUN.glob("issuer-*.db*")) + list(KEYS.glob("*.json")) + list(RUN.glob("*.log")):
        old.unlink()
    procs: dict[str, tuple[subprocess.Popen, Path, str]] = {}  # label -> (process, log, health URL)

    plural = lambda n, word: f"{n} {word}{'' if n == 1 else 's'}"  # noqa: E731
    say("start", f"starting {plural(len(issuers), 'issuer')} ({', '.join(issuers)})")
    try:
        for n, i in issuers.items():
            proc = spawn(["node", "server.mjs"], AUTH_SERVER, issuer_env(i), i["log"], i["pid"], "server.mjs")
            procs[f"issuer {n}"] = (proc, i["log"], f"{i['url']}/api/auth/ok")
        deadline = time.monotonic() + float(os.environ.get("START_TIMEOUT", "90"))
        wait_for(procs, [f"issuer {n}" for n in issuers], deadline)
        for n, i in issuers.items():  # the first GET of /jwks makes Better Auth mint the signing key
            if http_status(i["jwks_url"], timeout=10) != 200:
                raise StartFailed(f"GET {i['jwks_url']} failed", [f"issuer {n}"])
        t_issuers = time.monotonic() - t0
        say("start", f"issuers up and keys minted in {t_issuers:.1f} s; starting {plural(len(backends), 'backend')}"
                     " and exporting the issuers' keys")
        for n, m in backends.items():
            marker = next((a for a in reversed(m["start"]) if "/" in a), m["start"][-1])
            proc = spawn(m["start"], ZOO, backend_env(m, issuers[m["issuer"]]), m["log"], m["pid"], marker)
            procs[n] = (proc, m["log"], f"{m['url']}/healthz")
        with ThreadPoolExecutor(max_workers=len(issuers) or 1) as pool:
            keys = dict(zip(issuers, pool.map(export_key, issuers.values())))
        wait_for(procs, list(backends), deadline)
    except KeyboardInterrupt:
        print("\nstart: interrupted; stopping what was started", file=sys.stderr)
        stop_all("start")
        return 130
    except (StartFailed, Fail, OSError) as err:  # OSError: a start argv that cannot be executed
        failing = err.labels if isinstance(err, StartFailed) else []
        print(f"start: error: {err}", file=sys.stderr)
        for label in failing or procs:
            print(f"\n--- tail of deploy/zoo/run/{procs[label][1].name} ({label}) ---", file=sys.stderr)
            print(tail(procs[label][1]), file=sys.stderr)
        print(file=sys.stderr)
        stop_all("start")
        return 1

    elapsed = time.monotonic() - t0
    STATE.write_text(json.dumps({
        "issuers": {n: {k: str(v) if isinstance(v, Path) else v for k, v in i.items()} for n, i in issuers.items()},
        "backends": {n: {"url": m["url"], "issuer": m["issuer"], "compliant": m["compliant"],
                         "pid": procs[n][0].pid} for n, m in backends.items()},
    }, indent=2) + "\n", encoding="utf-8")
    write_profiles(issuers, backends)
    rows = [("issuer", n, i["url"] + "/api/auth", f"{i['alg']} kid {keys[n]['kid'][:8]}…", procs[f"issuer {n}"][0].pid)
            for n, i in issuers.items()]
    rows += [("backend", n, m["url"], f"{m['issuer']}, {'compliant' if m['compliant'] else 'FLAWED'}",
              procs[n][0].pid) for n, m in backends.items()]
    widths = [max(len(str(r[c])) for r in rows + [("kind", "name", "url", "issuer / kind", "pid")]) for c in range(5)]
    header = ("kind", "name", "url", "issuer / kind", "pid")
    print()
    for row in [header] + rows:
        print("  " + "  ".join(str(v).ljust(w) for v, w in zip(row, widths)))
    print(f"\nstart: zoo up in {elapsed:.1f} s ({plural(len(issuers), 'issuer')}, {plural(len(backends), 'backend')});"
          " keys in deploy/zoo/run/keys/, logs in deploy/zoo/run/*.log")
    return 0


def write_profiles(issuers: dict, backends: dict) -> None:
    """authprobe target profiles, one per issuer, listing every backend behind it as a [[backend]]
    (one audit run per profile, or all of them with --target given several times); a backend whose
    manifest has `openapi` gets `openapi = "<its url><that path>"` in its entry."""
    PROFILES.mkdir(parents=True, exist_ok=True)
    for old in PROFILES.glob("*.toml"):
        old.unlink()
    for n, i in issuers.items():
        behind = [(b, m) for b, m in backends.items() if m["issuer"] == n]
        if not behind:
            continue
        lines = [
            f"# authprobe target profile of the zoo's {i['alg']} issuer and the backends behind it;",
            "# generated by deploy/zoo/zoo.py start from deploy/zoo/backends/*.toml.",
            "[target]",
            f'name = "zoo-{n}"',
            f'auth_url = "{i["url"]}"',
            'auth_base_path = "/api/auth"',
            "",
            "[contract]",
            "# The zoo's backends speak their frameworks' own error bodies, not authprobe's contract.",
            'mode = "status-only"',
        ]
        lines += [
            "",
            "[lifecycle]",
            "# authprobe lifecycle: the issuer's lab control plane (rotate, retire, count /jwks fetches,",
            "# take the key set down, appoint an admin) and the bounds of the zoo's lifecycle backends",
            "# (key set cached 20 s, unknown kids refetched after a 30 s cooldown).",
            f'control_url = "{i["url"]}/__lab"',
            "max_adoption_s = 45",
            "max_key_cache_s = 30",
            "poll_interval_ms = 500",
        ]
        for b, m in behind:
            lines += ["", "[[backend]]", f'name = "{b}"', f'url = "{m["url"]}"']
            if "openapi" in m:  # audit every bearer-protected operation the document lists, not only /api/me
                lines.append(f'openapi = "{m["url"]}{m["openapi"]}"')
        (PROFILES / f"{n}.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def wait_for(procs: dict, labels: list[str], deadline: float) -> None:
    pending = set(labels)
    while pending:
        for label in sorted(pending):
            proc, _, url = procs[label]
            if proc.poll() is not None:
                raise StartFailed(f"{label} exited during start-up (status {proc.returncode})", [label])
            if http_status(url) == 200:
                pending.discard(label)
        if not pending:
            break
        if time.monotonic() > deadline:
            raise StartFailed(f"not answering after {os.environ.get('START_TIMEOUT', '90')} s: "
                              f"{', '.join(sorted(pending))}", sorted(pending))
        time.sleep(0.2)


# --- prove ---------------------------------------------------------------------------------------


def cmd_prove(names: list[str]) -> int:
    sys.path.insert(0, str(ZOO / "prove"))
    try:
        import zoolib  # noqa: PLC0415 - needs `cryptography`, i.e. python/.venv
    except ImportError as err:
        raise Fail(f"prove needs python/.venv (run deploy/zoo/install.sh): {err}") from None
    if not STATE.is_file():
        raise Fail("no running zoo (deploy/zoo/start.sh first)")
    running = json.loads(STATE.read_text(encoding="utf-8"))["backends"]
    manifests = load_backends(load_issuers())
    if names:
        unknown = [n for n in names if n not in running]
        if unknown:
            raise Fail(f"not running: {', '.join(unknown)}")
    selected = [n for n in running if not names or n in names]
    python = str(ZOO / "python" / ".venv" / "bin" / "python")
    rows: list[tuple[str, str, str, str, float, str]] = []  # backend, check, expected, got, seconds, output

    def run(label_backend: str, check: str, expected: str, fn) -> None:
        t = time.monotonic()
        got, output = fn()
        rows.append((label_backend, check, expected, got, time.monotonic() - t, output))
        mark = "ok " if got == expected else "MISMATCH"
        print(f"  {mark} {label_backend:<34} {check:<40} expected {expected:<5} got {got}", flush=True)

    for n in selected:
        m = manifests.get(n)
        if m is None:
            rows.append((n, "manifest", "found", "missing", 0.0, ""))
            continue
        sig = m["compliant"] or "signature-not-verified" not in m["flaw"]["must_report"]

        def baseline(m=m, sig=sig):
            try:
                zoolib.check_baseline(m["url"], m["issuer"], tampered=sig)
                return "ok", ""
            except zoolib.Setup as err:
                return "fail", str(err)
            except Exception as err:  # an unexpected answer (e.g. a body that is not JSON)
                return "fail", f"{type(err).__name__}: {err}"
        run(n, "baseline" + ("" if sig else " (no tamper check)"), "ok", baseline)

    for n in selected:
        m = manifests.get(n)
        if m is None or m["compliant"]:
            continue
        proof = m["flaw"]["proof"]
        targets = [(n, "0")] + [(c, "1") for c in selected
                                if manifests.get(c) and manifests[c]["compliant"] and manifests[c]["issuer"] == m["issuer"]]
        for target, expected in targets:
            def prove(target=target, proof=proof):
                out = subprocess.run([python, proof, "--backend", manifests[target]["url"], "--issuer", m["issuer"]],
                                     cwd=ZOO, capture_output=True, text=True, timeout=120,
                                     env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
                return str(out.returncode), out.stdout + out.stderr
            run(target, proof, expected, prove)

    bad = [r for r in rows if r[2] != r[3]]
    widths = [max(len(str(r[c])) for r in rows + [("backend", "proof", "expected", "got", 0, "")]) for c in range(4)]
    print()
    print("  " + "  ".join(h.ljust(w) for h, w in zip(("backend", "proof", "expected", "got"), widths)) + "  time")
    for r in rows:
        print("  " + "  ".join(str(v).ljust(w) for v, w in zip(r[:4], widths)) + f"  {r[4]:.2f} s"
              + ("   <-- MISMATCH" if r[2] != r[3] else ""))
    with open(RUN / "prove.log", "w", encoding="utf-8") as log:
        for r in rows:
            log.write(f"=== {r[0]} / {r[1]}: expected {r[2]}, got {r[3]} ({r[4]:.2f} s)\n{r[5]}\n")
    for r in bad:
        print(f"\n--- {r[0]} / {r[1]}: expected {r[2]}, got {r[3]} ---\n{r[5].rstrip()}")
    total = sum(r[4] for r in rows)
    print(f"\nprove: {len(rows) - len(bad)} passed, {len(bad)} failed ({total:.1f} s; outputs in deploy/zoo/run/prove.log)")
    return 1 if bad else 0


# --- list ----------------------------------------------------------------------------------------


def cmd_list() -> int:
    issuers = load_issuers()
    backends = load_backends(issuers)
    for n, i in issuers.items():
        print(f"issuer  {n:<30} {i['alg']:<6} {i['url']}")
    for n, m in backends.items():
        problem = runtime_problem(m)
        kind = "compliant" if m["compliant"] else "flawed: " + ",".join(m["flaw"]["must_report"])
        print(f"backend {n:<30} {m['issuer']:<6} {m['url']}  {kind}" + (f"  [not installed: {problem}]" if problem else ""))
    return 0


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("start", "stop", "prove", "list"):
        print(__doc__, file=sys.stderr)
        return 2
    try:
        if argv[0] == "start":
            return cmd_start(argv[1:])
        if argv[0] == "stop":
            if len(argv) > 1:
                raise Fail("stop takes no arguments (it stops everything in run/*.pid)")
            if stop_all() == 0:
                say("stop", "nothing to stop")
            return 0
        if argv[0] == "prove":
            return cmd_prove(argv[1:])
        return cmd_list()
    except Fail as err:
        print(f"{argv[0]}: error: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
