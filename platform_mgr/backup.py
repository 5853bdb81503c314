"""`flask backup PATH` / `flask restore PATH`: the database and the uploaded evidence in one archive.

The archive is a gzip'd tar holding ``manifest.json``, the database (SQLite: a consistent copy
taken with SQLite's online backup API while the app keeps running; PostgreSQL: ``pg_dump
--format=custom``) and ``uploads/`` (the evidence files). Restore replaces the database's
contents and the upload folder with the archive's.
"""
from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from pathlib import Path

from sqlalchemy.engine import make_url

from . import clock
from .db import dispose_engines, is_sqlite, normalise_url

FORMAT_VERSION = 1


class BackupError(RuntimeError):
    pass


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(database)


def _pg_args(url: str) -> tuple[list[str], dict[str, str]]:
    u = make_url(url)
    args = ["-h", u.host or "127.0.0.1", "-p", str(u.port or 5432), "-U", u.username or "postgres"]
    env = dict(os.environ)
    if u.password:
        env["PGPASSWORD"] = u.password
    return args + ["-d", u.database or "postgres"], env


def _require(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        raise BackupError(f"{tool} is not installed; it is needed to back up or restore PostgreSQL")
    return path


def backup(url: str, upload_dir: str, target: str) -> dict:
    url = normalise_url(url)
    target_path = Path(target)
    target_path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="pm-backup-") as tmp:
        tmpdir = Path(tmp)
        if is_sqlite(url):
            db_name = "database.sqlite3"
            src = sqlite3.connect(str(_sqlite_path(url)))
            dst = sqlite3.connect(str(tmpdir / db_name))
            with dst:
                src.backup(dst)  # consistent even while other connections write
            dst.close()
            src.close()
            engine = "sqlite"
        else:
            db_name = "database.pgdump"
            args, env = _pg_args(url)
            subprocess.run([_require("pg_dump"), "--format=custom", "--no-owner", "--no-privileges",
                            "-f", str(tmpdir / db_name), *args], check=True, env=env)
            engine = "postgresql"
        files = 0
        uploads = Path(upload_dir)
        manifest = {"format": FORMAT_VERSION, "engine": engine, "database": db_name,
                    "created_at": clock.now().isoformat(), "uploads": []}
        with tarfile.open(target_path, "w:gz") as tar:
            tar.add(tmpdir / db_name, arcname=db_name)
            if uploads.is_dir():
                for path in sorted(p for p in uploads.rglob("*") if p.is_file()):
                    rel = path.relative_to(uploads).as_posix()
                    tar.add(path, arcname=f"uploads/{rel}")
                    manifest["uploads"].append(rel)
                    files += 1
            data = json.dumps(manifest, ensure_ascii=False, indent=2).encode()
            info = tarfile.TarInfo("manifest.json")
            info.size = len(data)
            import io

            tar.addfile(info, io.BytesIO(data))
    return {"engine": engine, "files": files, "path": str(target_path)}


def _safe_members(tar: tarfile.TarFile):
    for member in tar.getmembers():
        name = member.name
        if name.startswith("/") or ".." in Path(name).parts or not (member.isfile() or member.isdir()):
            raise BackupError(f"unsafe path in archive: {name}")
        yield member


def restore(url: str, upload_dir: str, source: str) -> dict:
    url = normalise_url(url)
    source_path = Path(source)
    if not source_path.is_file():
        raise BackupError(f"no such backup: {source}")
    with tempfile.TemporaryDirectory(prefix="pm-restore-") as tmp:
        tmpdir = Path(tmp)
        with tarfile.open(source_path, "r:gz") as tar:
            tar.extractall(tmpdir, members=list(_safe_members(tar)))
        manifest = json.loads((tmpdir / "manifest.json").read_text())
        if manifest.get("format") != FORMAT_VERSION:
            raise BackupError("unknown backup format")
        dispose_engines()  # no pooled connection may hold the old database open
        if is_sqlite(url):
            if manifest["engine"] != "sqlite":
                raise BackupError("this backup was taken from PostgreSQL; restore it into PostgreSQL")
            dest_path = _sqlite_path(url)
            dest_path.parent.mkdir(parents=True, exist_ok=True)
            src = sqlite3.connect(str(tmpdir / manifest["database"]))
            dst = sqlite3.connect(str(dest_path))
            with dst:
                src.backup(dst)
            dst.close()
            src.close()
        else:
            if manifest["engine"] != "postgresql":
                raise BackupError("this backup was taken from SQLite; restore it into SQLite")
            args, env = _pg_args(url)
            subprocess.run([_require("pg_restore"), "--clean", "--if-exists", "--no-owner", "--no-privileges",
                            "--single-transaction", *args, str(tmpdir / manifest["database"])], check=True, env=env)
        uploads = Path(upload_dir)
        staged = tmpdir / "uploads"
        if uploads.exists():
            shutil.rmtree(uploads)
        uploads.mkdir(parents=True, exist_ok=True)
        if staged.is_dir():
            for path in staged.rglob("*"):
                if path.is_file():
                    dest = uploads / path.relative_to(staged)
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(path, dest)
    return {"engine": manifest["engine"], "files": len(manifest.get("uploads", []))}
