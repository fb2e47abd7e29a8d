"""Documentation keeps up with the code."""

from __future__ import annotations

from archive.settings import Settings
from tests.conftest import ROOT


def test_every_setting_is_documented_in_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [f"ARCHIVE_{name.upper()}" for name in Settings.model_fields if f"`ARCHIVE_{name.upper()}`" not in readme]
    assert not missing, f"settings missing from README.md: {missing}"


def test_the_readme_lists_each_group_of_settings_in_its_own_table_in_order():
    import re

    from archive.settings import GROUPS

    section = (ROOT / "README.md").read_text(encoding="utf-8").split("## Settings", 1)[1].split("\n## ", 1)[0]
    tables = [re.findall(r"^\| `ARCHIVE_([A-Z0-9_]+)` \|", part, re.MULTILINE) for part in section.split("\n### ")[1:]]
    expected = [[name.upper() for name in group.model_fields] for group in GROUPS.values()]
    assert tables == expected, "README.md's settings tables differ from archive/settings.py's GROUPS"


def test_every_setting_belongs_to_one_group_and_the_flat_variables_still_work(monkeypatch):
    from archive.settings import GROUPS

    grouped = [name for group in GROUPS.values() for name in group.model_fields]
    assert sorted(grouped) == sorted(Settings.model_fields) and len(grouped) == len(set(grouped))
    monkeypatch.setenv("ARCHIVE_RRF_K", "7")
    monkeypatch.setenv("ARCHIVE_ANSWER_SOURCES", "9")
    settings = Settings()
    assert (settings.rrf_k, settings.answer_sources) == (7, 9)


def test_every_setting_has_a_description():
    assert all(field.description for field in Settings.model_fields.values())


def test_readme_starts_with_the_two_commands_and_ci_runs_the_test_one():
    head = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()[:6]
    assert any(line.startswith("make run") for line in head)
    assert any(line.startswith("make test") for line in head)
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_telemetry_is_off():
    config = (ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8")
    assert "gatherUsageStats = false" in config
    store = (ROOT / "archive" / "storage" / "chroma.py").read_text(encoding="utf-8")
    assert "anonymized_telemetry=False" in store


def test_only_the_chroma_boundary_imports_chromadb():
    boundary = ROOT / "archive" / "storage" / "chroma.py"
    offenders = [
        str(p.relative_to(ROOT))
        for folder in ("archive", "ingest", "pages", "webui")
        for p in (ROOT / folder).rglob("*.py")
        if p != boundary and ("import chromadb" in p.read_text() or "from chromadb" in p.read_text())
    ]
    assert offenders == [] and "import chromadb" in boundary.read_text(encoding="utf-8")


def test_importing_the_package_loads_no_model_or_database():
    import subprocess
    import sys

    code = "import archive, sys; print(sorted(m for m in ('torch', 'sentence_transformers', 'chromadb') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


def test_the_readme_is_a_user_guide_first_and_links_every_docs_page():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    guide = readme.index("## User guide")
    assert guide < readme.index("## Settings") and guide < readme.index("## Command line")
    for heading in ("### Start and stop", "### Where the archive lives", "### The pages", "### Adding your own articles",
                    "### Backing up", "### Sharing with a team", "### Privacy"):
        assert heading in readme[guide:readme.index("## Command line")], heading
    for page in ("Search", "Ask", "Look up", "Library", "Add articles"):
        assert f"- **{page}**:" in readme, page
    unlinked = [p.name for p in (ROOT / "docs").glob("*.md") if f"](docs/{p.name})" not in readme]
    assert not unlinked, f"docs pages the README does not link: {unlinked}"


def test_internals_moved_to_docs_keep_their_facts():
    docs = " ".join(" ".join(p.read_text(encoding="utf-8").split()) for p in (ROOT / "docs").glob("*.md"))
    for fact in ("ARCHIVE_FURNITURE_MIN_ARTICLES", "ARCHIVE_FUSION=rrf", "Recall@5 0.748 vs", "the article record (naming the current hash) is the commit point",
                 "Sparse vector indexing is not enabled in local", "`--json` prints `{\"query\", \"hits\"",
                 "How it stays grounded", "`<feed>/<record id>`"):
        assert fact in docs, fact
