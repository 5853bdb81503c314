"""flask backup / flask restore: a round trip gives back an identical database and uploads."""
from pathlib import Path

from sqlalchemy import text
from sqlmodel import SQLModel


def _dump(db):
    """Every row of every table, as plain tuples, in key order."""
    data = {}
    for table in SQLModel.metadata.sorted_tables:
        cols = ", ".join(f'"{c.name}"' for c in table.columns)
        order = ", ".join(f'"{c.name}"' for c in table.primary_key.columns)
        data[table.name] = [tuple(r) for r in db.exec(text(f'SELECT {cols} FROM "{table.name}" ORDER BY {order}')).all()]
    return data


def test_backup_restore_round_trip(app, runner, make, db, tmp_path):
    platform = make.platform(code="BCI", name_zh="脑机接口")
    project = make.project(platform, title_zh="柔性电极")
    make.milestone(project, title="动物实验")
    upload_dir = Path(app.config["UPLOAD_DIR"])
    (upload_dir / "ab").mkdir(parents=True)
    (upload_dir / "ab" / "abcdef.pdf").write_bytes(b"%PDF-1.4 evidence")
    before = _dump(db)

    archive = tmp_path / "backup.tar.gz"
    result = runner.invoke(args=["backup", str(archive)])
    assert result.exit_code == 0, result.output
    assert archive.stat().st_size > 0

    # change everything: data and files
    make.platform(code="NEW")
    db.exec(text("DELETE FROM milestone"))
    db.commit()
    (upload_dir / "ab" / "abcdef.pdf").unlink()
    (upload_dir / "stray.txt").write_text("x")
    assert _dump(db) != before

    result = runner.invoke(args=["restore", str(archive), "--yes"])
    assert result.exit_code == 0, result.output
    db.close()
    assert _dump(db) == before
    assert (upload_dir / "ab" / "abcdef.pdf").read_bytes() == b"%PDF-1.4 evidence"
    assert not (upload_dir / "stray.txt").exists()


def test_restore_refuses_a_missing_archive(runner, tmp_path):
    result = runner.invoke(args=["restore", str(tmp_path / "nope.tar.gz"), "--yes"])
    assert result.exit_code == 1
    assert "no such backup" in result.output


def test_restore_asks_before_replacing(runner, tmp_path):
    result = runner.invoke(args=["restore", str(tmp_path / "x.tar.gz")], input="n\n")
    assert result.exit_code == 1
    assert "cancelled" in result.output
