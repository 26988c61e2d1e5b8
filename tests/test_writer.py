"""The writer: drift detection, all-or-nothing writes, pruning only what obsgen owns."""

from __future__ import annotations

import fcntl
import json
import os
import random
import signal
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from obsgen import conventions as C
from obsgen.errors import OutputError
from obsgen.render import header
from obsgen.writer import diff, journal, write, write_file
from obsgen.writer.tree import Tree

H = header().encode()
PLAN = {
    "alerts/a.yaml": H + b"a: 1\n",
    "alerts/b.yaml": H + b"b: 2\n",
    "dashboards/a.json": b'{"tags": ["obsgen"]}\n',
}
NEW = {
    "alerts/a.yaml": H + b"a: 2\n",
    "dashboards/a.json": b'{"tags": ["obsgen"], "v": 2}\n',
    "k8s/c.yaml": H + b"c\n",
}


def snapshot(root: Path) -> dict[str, bytes | str]:
    """Every entry under root: file bytes, or where a link points (links are never followed)."""
    out: dict[str, bytes | str] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = Path(dirpath) / name
            rel = str(p.relative_to(root))
            if p.is_symlink():
                out[rel] = "-> " + os.readlink(p)
            elif p.is_file():
                out[rel] = p.read_bytes()
    return out


def expected_tree(plan: dict[str, bytes]) -> dict[str, bytes]:
    from obsgen.writer import with_manifest

    return {rel: content for rel, content in with_manifest(plan).items()}


def files_only(snap: dict[str, bytes | str]) -> dict[str, bytes | str]:
    return {k: v for k, v in snap.items() if isinstance(v, bytes)}


def test_write_then_diff_is_clean_and_manifest_lists_every_file(tmp_path: Path) -> None:
    write(tmp_path, PLAN)
    assert not diff(tmp_path, PLAN)
    manifest = json.loads((tmp_path / C.MANIFEST_FILE).read_text())
    assert manifest["files"] == sorted(PLAN)
    assert (tmp_path / "alerts/a.yaml").read_bytes() == PLAN["alerts/a.yaml"]
    assert files_only(snapshot(tmp_path)) == expected_tree(PLAN), "no journal, staging or lock file is left"


def test_diff_reports_changed_missing_and_stale(tmp_path: Path) -> None:
    write(tmp_path, PLAN)
    (tmp_path / "alerts/a.yaml").write_bytes(b"edited\n")
    (tmp_path / "dashboards/a.json").unlink()
    smaller = {k: v for k, v in PLAN.items() if k != "alerts/b.yaml"}
    drift = diff(tmp_path, smaller)
    assert drift.changed == [C.MANIFEST_FILE, "alerts/a.yaml"]
    assert drift.missing == ["dashboards/a.json"]
    assert drift.stale == ["alerts/b.yaml"]


def test_write_prunes_files_it_owned_and_leaves_others(tmp_path: Path) -> None:
    write(tmp_path, PLAN)
    (tmp_path / "alerts/mine.yaml").write_bytes(b"user's own file\n")
    write(tmp_path, {"alerts/a.yaml": PLAN["alerts/a.yaml"]})
    assert not (tmp_path / "alerts/b.yaml").exists()
    assert not (tmp_path / "dashboards").exists(), "emptied directories are removed"
    assert (tmp_path / "alerts/mine.yaml").read_bytes() == b"user's own file\n"


def test_a_listed_file_that_no_longer_carries_obsgens_mark_is_kept(tmp_path: Path) -> None:
    write(tmp_path, PLAN)
    (tmp_path / "alerts/b.yaml").write_bytes(b"now the user's: header removed\n")
    write(tmp_path, {"alerts/a.yaml": PLAN["alerts/a.yaml"]})
    assert (tmp_path / "alerts/b.yaml").read_bytes() == b"now the user's: header removed\n"


def test_refuses_to_overwrite_a_file_it_does_not_own(tmp_path: Path) -> None:
    (tmp_path / "alerts").mkdir()
    (tmp_path / "alerts/a.yaml").write_bytes(b"hand written\n")
    with pytest.raises(
        OutputError, match=r"refusing to overwrite files obsgen did not write: alerts/a\.yaml"
    ):
        write(tmp_path, PLAN)
    assert (tmp_path / "alerts/a.yaml").read_bytes() == b"hand written\n"
    assert not (tmp_path / "alerts/b.yaml").exists(), "nothing else was written either"
    write(tmp_path, PLAN, force=True)
    assert (tmp_path / "alerts/a.yaml").read_bytes() == PLAN["alerts/a.yaml"]


def test_a_failed_write_changes_nothing(tmp_path: Path) -> None:
    write(tmp_path, PLAN)
    before = snapshot(tmp_path)
    (tmp_path / "k8s").write_bytes(b"a file where a directory must go\n")
    owned_k8s = {**PLAN, "alerts/a.yaml": H + b"changed\n", "k8s/x.yaml": H + b"x\n"}
    with pytest.raises(OutputError, match="not a directory"):
        write(tmp_path, owned_k8s, force=True)
    after = snapshot(tmp_path)
    del after["k8s"]
    assert after == before


@pytest.mark.parametrize(
    "bad", ["../escape.yaml", "/etc/passwd", "a/../../b", "a//b", "./a", ".obsgen-staging/x"]
)
def test_paths_outside_the_output_directory_are_refused(tmp_path: Path, bad: str) -> None:
    with pytest.raises(OutputError, match=r"outside the output directory|keeps that name"):
        write(tmp_path / "out", {bad: b"x"})


@pytest.mark.parametrize(
    "victim",
    [
        "../victim.txt",
        ".git/HEAD",
        "README.md",
        "catalog.yaml",
        "alerts/users-own.yaml",
        "docs/generated-looking.yaml",
    ],
)
def test_a_tampered_manifest_never_deletes_what_obsgen_does_not_recognise(
    tmp_path: Path, victim: str
) -> None:
    out = tmp_path / "out"
    write(out, PLAN)
    target = out / victim
    target.parent.mkdir(parents=True, exist_ok=True)
    # Even a file that looks generated is safe outside the directories obsgen generates into.
    content = H + b"x\n" if victim.startswith("docs/") else b"ref: refs/heads/main\n"
    target.write_bytes(content)
    manifest = json.loads((out / C.MANIFEST_FILE).read_text())
    (out / C.MANIFEST_FILE).write_text(json.dumps({**manifest, "files": [*manifest["files"], victim]}))
    assert victim not in diff(out, PLAN).stale
    write(out, PLAN)
    assert target.read_bytes() == content
    assert not diff(out, PLAN)


def test_a_tampered_manifest_that_forgets_files_leaves_them_orphaned_then_pruned(tmp_path: Path) -> None:
    write(tmp_path, PLAN)
    (tmp_path / C.MANIFEST_FILE).write_text(json.dumps({"generated_by": "obsgen", "files": []}))
    smaller = {"alerts/a.yaml": PLAN["alerts/a.yaml"]}
    drift = diff(tmp_path, smaller)
    assert drift.orphaned == ["alerts/b.yaml", "dashboards/a.json"], "check sees files no manifest explains"
    drift = write(tmp_path, smaller)
    assert drift.kept == ["dashboards/a.json"], "JSON has no header to prove it is obsgen's: kept, and named"
    assert files_only(snapshot(tmp_path)) == {
        **expected_tree(smaller),
        "dashboards/a.json": PLAN["dashboards/a.json"],
    }
    assert diff(tmp_path, smaller).orphaned == ["dashboards/a.json"], "check keeps telling the truth"
    (tmp_path / "dashboards/a.json").unlink()
    assert not diff(tmp_path, smaller)


def test_a_symlinked_output_subdirectory_is_refused_and_its_target_untouched(tmp_path: Path) -> None:
    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    write(out, PLAN)
    elsewhere.mkdir()
    (elsewhere / "b.yaml").write_bytes(H + b"someone else's\n")
    for p in (out / "alerts").iterdir():
        p.unlink()
    (out / "alerts").rmdir()
    (out / "alerts").symlink_to(elsewhere)
    before_out, before_elsewhere = snapshot(out), snapshot(elsewhere)
    with pytest.raises(OutputError, match="is a symlink"):
        write(out, NEW)
    with pytest.raises(OutputError, match="is a symlink"):
        write(out, PLAN)
    assert snapshot(elsewhere) == before_elsewhere
    assert snapshot(out) == before_out
    with pytest.raises(OutputError, match="is a symlink"):
        diff(out, PLAN)


def test_a_symlinked_target_file_is_replaced_not_written_through(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write(out, PLAN)
    victim = tmp_path / "victim"
    victim.write_bytes(b"keep")
    (out / "alerts/a.yaml").unlink()
    (out / "alerts/a.yaml").symlink_to(victim)
    assert diff(out, PLAN).changed == ["alerts/a.yaml"]
    write(out, PLAN)
    assert victim.read_bytes() == b"keep"
    assert not (out / "alerts/a.yaml").is_symlink()
    assert not diff(out, PLAN)


def test_stale_symlinks_and_special_files_are_never_pruned(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write(out, PLAN)
    victim = tmp_path / "victim.yaml"
    victim.write_bytes(H + b"looks generated\n")
    (out / "alerts/b.yaml").unlink()
    (out / "alerts/b.yaml").symlink_to(victim)
    write(out, {"alerts/a.yaml": PLAN["alerts/a.yaml"]})
    assert victim.read_bytes() == H + b"looks generated\n"
    assert (out / "alerts/b.yaml").is_symlink()


def test_corrupt_manifest_is_a_clear_error(tmp_path: Path) -> None:
    tmp_path.joinpath(C.MANIFEST_FILE).write_text("not json")
    with pytest.raises(OutputError, match="not a manifest obsgen wrote"):
        write(tmp_path, PLAN)


def test_a_second_concurrent_run_fails_with_a_clear_message(tmp_path: Path) -> None:
    write(tmp_path, PLAN)
    fd = os.open(tmp_path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        with pytest.raises(OutputError, match="another obsgen run is writing this directory"):
            write(tmp_path, NEW)
        with pytest.raises(OutputError, match="another obsgen run"):
            diff(tmp_path, NEW)
    finally:
        os.close(fd)
    assert files_only(snapshot(tmp_path)) == expected_tree(PLAN)


# --- Fault injection ----------------------------------------------------------------------


def _failing_on_call(n: int, real: Callable[..., Any]) -> Callable[..., Any]:
    calls = {"n": 0}

    def replace(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == n:
            raise OSError(28, "No space left on device")
        return real(*args, **kwargs)

    return replace


def _count_replaces(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> int:
    calls = {"n": 0}
    real = os.replace

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        return real(*args, **kwargs)

    probe = tmp_path / "probe"
    write(probe, PLAN)
    monkeypatch.setattr(os, "replace", counting)
    write(probe, NEW)
    monkeypatch.undo()
    return calls["n"]


def test_os_replace_failing_on_its_nth_call_leaves_old_or_new_after_the_next_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    total = _count_replaces(tmp_path, monkeypatch)
    assert total == len(NEW) + 2, "one rename per written file, the manifest and the journal"
    outside = tmp_path / "outside.txt"
    outside.write_bytes(b"not obsgen's")
    for n in range(1, total + 1):
        out = tmp_path / f"out{n}"
        write(out, PLAN)
        (out / "notes.md").write_bytes(b"the user's")
        monkeypatch.setattr(os, "replace", _failing_on_call(n, os.replace))
        with pytest.raises(OutputError, match="No space left on device"):
            write(out, NEW)
        monkeypatch.undo()
        # `check` tells the truth about the tree as the failure left it.
        left = files_only(snapshot(out))
        del left["notes.md"]
        assert diff(out, NEW)
        assert bool(diff(out, PLAN)) == (left != expected_tree(PLAN))
        with Tree(out, create=False) as tree:
            journal.recover(tree)
        after = files_only(snapshot(out))
        del after["notes.md"]
        assert after in (expected_tree(PLAN), expected_tree(NEW)), f"mixed tree after replace #{n} failed"
        write(out, NEW)
        assert files_only(snapshot(out)) == {**expected_tree(NEW), "notes.md": b"the user's"}
        assert not diff(out, NEW)
    assert outside.read_bytes() == b"not obsgen's"


_KILLER = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    from obsgen.writer import write
    from tests.test_writer import killer_plan
    n, services, version, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], Path(sys.argv[4])
    plan = killer_plan(services, version)
    calls = [0]
    def counted(real):
        def wrapper(*a, **k):
            calls[0] += 1
            if calls[0] == n:
                os.kill(os.getpid(), signal.SIGKILL)
            return real(*a, **k)
        return wrapper
    if n:  # 0: write plainly; -1: count the calls only
        for name in ("open", "write", "replace", "unlink", "fsync", "mkdir", "rmdir"):
            setattr(os, name, counted(getattr(os, name)))
    write(out, plan)
    print(calls[0])
    """
)


def killer_plan(services: int, version: str) -> dict[str, bytes]:
    """A large change: a third of the files go, the rest change, new ones appear in another directory."""
    plan = {
        f"k8s/env/svc-{i}.yaml": H + f"{version}: {i}\n".encode()
        for i in range(services)
        if version == "old" or i % 3
    }
    if version == "new":
        plan.update({f"alerts/new-{i}.yaml": H + b"new\n" for i in range(services // 4)})
    return plan


def _run_killer(n: int, services: int, version: str, out: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", _KILLER, str(n), str(services), version, str(out)],
        cwd=Path(__file__).resolve().parent.parent,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_sigkill_at_random_points_of_a_large_generate_leaves_old_or_new(tmp_path: Path) -> None:
    services = 600
    reference = {}
    for version in ("old", "new"):
        ref = tmp_path / f"ref-{version}"
        assert _run_killer(0, services, version, ref).returncode == 0
        reference[version] = files_only(snapshot(ref))
    base = tmp_path / "base"
    _run_killer(0, services, "old", base)
    (base / "notes.md").write_bytes(b"the user's")
    probe = tmp_path / "probe"
    subprocess.run(["cp", "-a", str(base), str(probe)], check=True)
    total = int(_run_killer(-1, services, "new", probe).stdout)
    rng = random.Random(17)
    points = sorted(rng.sample(range(1, total + 1), 12))
    outcomes = set()
    for n in points:
        out = tmp_path / f"kill-{n}"
        subprocess.run(["cp", "-a", str(base), str(out)], check=True)
        killed = _run_killer(n, services, "new", out)
        assert killed.returncode == -signal.SIGKILL, killed.stderr
        # `check` tells the truth before the next run: up to date only with exactly the old tree
        # (or exactly the new one) on disk, and never while a journal waits to be finished.
        left = files_only(snapshot(out))
        del left["notes.md"]
        left = {k: v for k, v in left.items() if not k.startswith(journal.STAGING_DIR + "/")}
        for version in ("old", "new"):
            up_to_date = not diff(out, killer_plan(services, version))
            assert up_to_date == (left == reference[version]), f"check lies after SIGKILL at call {n}"
        with Tree(out, create=False) as tree:
            journal.recover(tree)
        after = files_only(snapshot(out))
        assert after.pop("notes.md") == b"the user's"
        assert after in (reference["old"], reference["new"]), f"mixed tree after SIGKILL at call {n}"
        outcomes.add("old" if after == reference["old"] else "new")
        assert _run_killer(0, services, "new", out).returncode == 0
        assert files_only(snapshot(out)) == {**reference["new"], "notes.md": b"the user's"}
    assert outcomes == {"old", "new"}, "the kill points reach both sides of the commit"


def test_sigterm_before_the_commit_removes_staged_files(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write(out, PLAN)
    real_write = os.write
    calls = {"n": 0}

    def terminating(fd: int, data: Any) -> int:
        calls["n"] += 1
        if calls["n"] == 2:
            os.kill(os.getpid(), signal.SIGTERM)
        return real_write(fd, data)

    os.write = terminating  # type: ignore[assignment]
    try:
        with pytest.raises(SystemExit) as exited:
            write(out, NEW)
    finally:
        os.write = real_write
    assert exited.value.code == 128 + signal.SIGTERM
    assert files_only(snapshot(out)) == expected_tree(PLAN), "old tree, no staged files left"


def test_temp_files_of_the_previous_writer_are_cleaned(tmp_path: Path) -> None:
    write(tmp_path, PLAN)
    (tmp_path / "alerts/.obsgen-tmp-abc123").write_bytes(b"x" * 100)
    write(tmp_path, PLAN)
    assert not (tmp_path / "alerts/.obsgen-tmp-abc123").exists()


def test_two_concurrent_generate_processes_end_new_and_clean(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _run_killer(0, 300, "old", out)
    runs = [
        subprocess.Popen(
            [sys.executable, "-c", _KILLER, "0", "300", "new", str(out)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    results = [(r.wait(timeout=60), r.stderr.read() if r.stderr else "") for r in runs]
    for code, err in results:
        assert code == 0 or "another obsgen run is writing this directory" in err, err
    assert any(code == 0 for code, _ in results)
    reference = tmp_path / "ref"
    _run_killer(0, 300, "new", reference)
    assert files_only(snapshot(out)) == files_only(snapshot(reference))


@pytest.mark.parametrize("kind", ["fifo", "directory", "symlink"])
def test_write_file_refuses_to_replace_what_is_not_a_regular_file(tmp_path: Path, kind: str) -> None:
    target = tmp_path / "catalog.yaml"
    if kind == "fifo":
        os.mkfifo(target)
    elif kind == "directory":
        target.mkdir()
    else:
        target.symlink_to("/dev/null")
    with pytest.raises(OutputError, match="not a regular file"):
        write_file(target, b"x")
    assert not list(tmp_path.glob(".*obsgen-tmp*"))


# --- Through the command line -----------------------------------------------------------


def _obsgen(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "obsgen", *args], cwd=cwd, capture_output=True, text=True, timeout=120
    )


def test_check_names_orphans_and_an_interrupted_run_and_generate_repairs_both(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from obsgen.catalog import load_catalog_file
    from obsgen.cli import starter_catalog
    from obsgen.generate import generate

    (tmp_path / "catalog.yaml").write_text(starter_catalog())
    assert _obsgen("generate", cwd=tmp_path).returncode == 0
    orphan = tmp_path / "k8s/prod/removed-service.yaml"
    orphan.write_bytes(H + b"kind: Deployment\n")
    check = _obsgen("check", cwd=tmp_path)
    assert check.returncode == 1
    assert "orphaned: k8s/prod/removed-service.yaml" in check.stdout

    plan = generate(load_catalog_file(tmp_path / "catalog.yaml"))
    changed = {**plan, C.alert_rules_path("pay"): plan[C.alert_rules_path("pay")] + b"# changed\n"}
    monkeypatch.setattr(os, "replace", _failing_on_call(2, os.replace))  # after the journal's commit
    with pytest.raises(OutputError, match="run `obsgen generate` again to finish it"):
        write(tmp_path, changed)
    monkeypatch.undo()
    check = _obsgen("check", cwd=tmp_path)
    assert check.returncode == 1
    assert "interrupted: a previous generate did not finish" in check.stdout

    generated = _obsgen("generate", cwd=tmp_path)
    assert generated.returncode == 0, generated.stderr
    assert not orphan.exists()
    assert _obsgen("check", cwd=tmp_path).returncode == 0
    assert not (tmp_path / journal.JOURNAL_FILE).exists() and not (tmp_path / journal.STAGING_DIR).exists()


def test_a_second_generate_on_a_locked_directory_exits_2_with_a_clear_message(tmp_path: Path) -> None:
    from obsgen.cli import starter_catalog

    (tmp_path / "catalog.yaml").write_text(starter_catalog())
    fd = os.open(tmp_path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        result = _obsgen("generate", cwd=tmp_path)
    finally:
        os.close(fd)
    assert result.returncode == 2
    assert "another obsgen run is writing this directory; wait for it to finish" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["catalog.yaml"]
