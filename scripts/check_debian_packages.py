#!/usr/bin/python3
"""Fails when the build or the tests use a file that a fresh Debian 12 machine would not have.

Every file the build used (headers from ninja's dependency log, CMake package configs, pkg-config files,
linked libraries, the compiler and build tools, the shared libraries of the programs built) and, given
strace logs, every program and file the tests opened, is mapped to the Debian package that owns it. Each
owning package must be in scripts/debian-packages.txt or be pulled in by the Depends:/Pre-Depends: of one
that is (Recommends: do not count: setup installs with --no-install-recommends), or be part of every
Debian system (Essential: yes or Priority: required). A program or library used from outside Debian's
packages and outside the project's own folders (say a Python from pyenv in /root) fails too: a fresh
machine would not have it.

Usage: check_debian_packages.py --build-dir BUILD [--source-dir SRC] [--packages FILE] [--trace LOG ...]
                                [--allow DIR ...] [--quiet]
"""

from __future__ import annotations

import argparse
import glob
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

PROGRAM = "check-packages"
SYSTEM_ROOTS = ("/usr/", "/lib/", "/lib64/", "/bin/", "/sbin/", "/etc/", "/opt/", "/var/lib/")
BUILD_TOOLS = ("CMAKE_CXX_COMPILER", "CMAKE_AR", "CMAKE_RANLIB", "CMAKE_LINKER", "CMAKE_MAKE_PROGRAM",
               "CMAKE_COMMAND", "CMAKE_CXX_COMPILER_AR", "CMAKE_CXX_COMPILER_RANLIB", "PKG_CONFIG_EXECUTABLE",
               "CMAKE_CXX_COMPILER_LAUNCHER")
# Files a program reads only when some package happens to have put them there, and does fine without:
# glibc's locale aliases, the .pth hooks Python's site module runs from dist-packages, and the fonts
# fontconfig scans (every font installed, say fonts-dejavu-extra next to fonts-dejavu-core in one folder;
# the font the tests draw with, fonts-dejavu-core, is listed in debian-packages.txt).
READ_WHEN_PRESENT = (re.compile(r"^/usr/share/locale/locale\.alias$"),
                     re.compile(r"^/usr/lib/python3/dist-packages/[^/]+\.pth$"),
                     re.compile(r"^/usr/share/fonts/"))
IGNORED_ROOTS = ("/proc/", "/sys/", "/dev/", "/run/", "/tmp/", "/var/tmp/", "/var/cache/", "/var/log/")


def read_package_list(path: Path) -> list[str]:
    names = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0]
        names.extend(line.split())
    return names


class DpkgDatabase:
    """Installed packages, their dependencies and their files, read from dpkg's own files."""

    def __init__(self, admin_dir: Path = Path("/var/lib/dpkg")):
        self.packages: dict[str, dict[str, str]] = {}
        self.providers: dict[str, list[str]] = {}
        self._read_status(admin_dir / "status")
        self.owner_of: dict[str, str] = {}
        for listing in glob.glob(str(admin_dir / "info" / "*.list")):
            package = Path(listing).name[: -len(".list")].split(":", 1)[0]
            with open(listing, encoding="utf-8", errors="replace") as files:
                for name in files:
                    name = name.rstrip("\n")
                    # A path that two packages list is a directory; the first owner is kept.
                    if name and name not in self.owner_of:
                        self.owner_of[name] = package

    def _read_status(self, path: Path) -> None:
        fields: dict[str, str] = {}
        last = None
        with open(path, encoding="utf-8", errors="replace") as status:
            for line in [*status, "\n"]:
                line = line.rstrip("\n")
                if not line:
                    if fields.get("Package") and "install ok installed" in fields.get("Status", ""):
                        self.packages[fields["Package"]] = fields
                        for provided in split_relations(fields.get("Provides", "")):
                            self.providers.setdefault(provided[0], []).append(fields["Package"])
                    fields, last = {}, None
                elif line[0] in " \t" and last:
                    fields[last] += "\n" + line
                elif ":" in line:
                    last, value = line.split(":", 1)
                    fields[last] = value.strip()

    def installed(self, name: str) -> bool:
        return name in self.packages

    def resolve(self, alternatives: list[str]) -> str | None:
        """The package apt would take for one Depends: clause on a fresh machine: the first alternative,
        or an installed provider of it when it is virtual. When this machine has neither, the alternative
        it does have (so that its files are still accounted for)."""
        for name in alternatives:
            if self.installed(name):
                return name
            if self.providers.get(name):
                return sorted(self.providers[name])[0]
        return None

    def dependencies(self, package: str) -> list[str]:
        fields = self.packages.get(package, {})
        result = []
        for key in ("Pre-Depends", "Depends"):
            for clause in fields.get(key, "").split(","):
                alternatives = [relation[0] for relation in split_relations(clause.replace("|", ","))]
                if alternatives:
                    chosen = self.resolve(alternatives)
                    if chosen:
                        result.append(chosen)
        return result

    def base_system(self) -> set[str]:
        return {name for name, fields in self.packages.items()
                if fields.get("Essential") == "yes" or fields.get("Priority") == "required"}

    def closure(self, roots: list[str]) -> dict[str, str]:
        """Each package reachable from `roots` by Depends:, with the root that pulls it in."""
        reached: dict[str, str] = {}
        pending = [(root, root) for root in roots]
        while pending:
            package, root = pending.pop()
            if package in reached:
                continue
            reached[package] = root
            pending.extend((dependency, root) for dependency in self.dependencies(package))
        return reached

    def owner(self, path: str) -> str | None:
        candidates = [path]
        for merged, split in (("/usr/lib/", "/lib/"), ("/usr/bin/", "/bin/"), ("/usr/sbin/", "/sbin/"),
                              ("/usr/lib64/", "/lib64/")):
            if path.startswith(merged):
                candidates.append(split + path[len(merged):])
            elif path.startswith(split):
                candidates.append(merged + path[len(split):])
        for candidate in candidates:
            if candidate in self.owner_of:
                return self.owner_of[candidate]
        return None


def split_relations(text: str) -> list[tuple[str]]:
    relations = []
    for part in text.split(","):
        part = re.sub(r"\(.*?\)|\[.*?\]|<.*?>", "", part).strip()
        if part:
            relations.append((part.split(":", 1)[0].strip(),))
    return relations


def headers_from_ninja(build_dir: Path) -> set[str]:
    result = subprocess.run(["ninja", "-C", str(build_dir), "-t", "deps"], capture_output=True, text=True,
                            check=False)
    if result.returncode != 0:
        raise SystemExit(f"{PROGRAM}: error: cannot read ninja's dependency log in {build_dir}: "
                         f"{result.stderr.strip() or 'ninja -t deps failed'} (build first)")
    return {line.strip() for line in result.stdout.splitlines()
            if line.startswith("    ") and line.strip().startswith("/")}


def read_cmake_cache(build_dir: Path) -> dict[str, tuple[str, str]]:
    cache = {}
    path = build_dir / "CMakeCache.txt"
    if not path.exists():
        raise SystemExit(f"{PROGRAM}: error: {path} is missing (configure the build first)")
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        match = re.match(r"^([^#/][^:=]*):([A-Z]+)=(.*)$", line)
        if match:
            cache[match.group(1)] = (match.group(2), match.group(3))
    return cache


def files_from_cmake_cache(cache: dict[str, tuple[str, str]]) -> set[str]:
    files = set()
    for name, (kind, value) in cache.items():
        if kind == "PATH" and name.endswith("_DIR") and os.path.isdir(value):
            # A package found by find_package(... CONFIG): its config file.
            files.update(glob.glob(os.path.join(value, "*Config.cmake")))
            files.update(glob.glob(os.path.join(value, "*-config.cmake")))
        elif name in BUILD_TOOLS and value.startswith("/") and os.path.isfile(value):
            # Other FILEPATH entries are things a find module looked for and may not use (libEGL, libGLU):
            # the libraries the build does use are on its link lines.
            files.add(value)
        elif name.startswith("__pkg_config_arguments_"):
            for argument in value.split(";"):
                module = re.split(r"[<>=]", argument, maxsplit=1)[0].strip()
                if module and module not in ("REQUIRED", "QUIET", "IMPORTED_TARGET", "GLOBAL", "NO_CMAKE_PATH",
                                             "NO_CMAKE_ENVIRONMENT_PATH"):
                    found = subprocess.run(["pkg-config", "--path", module], capture_output=True, text=True,
                                           check=False)
                    if found.returncode == 0 and found.stdout.strip():
                        files.add(found.stdout.strip())
    compiler = cache.get("CMAKE_CXX_COMPILER", ("", ""))[1]
    if compiler:
        for tool in ("cc1plus", "as", "ld", "collect2"):
            found = subprocess.run([compiler, f"-print-prog-name={tool}"], capture_output=True, text=True,
                                   check=False).stdout.strip()
            found_path = found if found.startswith("/") else shutil.which(found)
            if found_path and os.path.isfile(found_path):
                files.add(found_path)
    return files


def files_from_build_ninja(build_dir: Path) -> set[str]:
    files = set()
    text = (build_dir / "build.ninja").read_text(encoding="utf-8", errors="replace")
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("LINK_LIBRARIES =") or stripped.startswith("LINK_FLAGS ="):
            for token in stripped.split("=", 1)[1].split():
                if token.startswith("/") and os.path.isfile(token):
                    files.add(token)
        elif stripped.startswith("COMMAND =") and "/libexec/" in stripped:
            # Qt's moc, uic, rcc run from Qt's libexec folder.
            files.update(re.findall(r"(/usr/\S*/libexec/[A-Za-z0-9_.-]+)", stripped))
    for info in glob.glob(str(build_dir / "**" / "AutogenInfo.json"), recursive=True):
        files.update(re.findall(r"\"(/usr/[^\"]*/libexec/[A-Za-z0-9_.-]+)\"",
                                Path(info).read_text(encoding="utf-8", errors="replace")))
    return files


def built_programs(build_dir: Path) -> list[str]:
    programs = []
    for root, _, names in os.walk(build_dir):
        if "CMakeFiles" in root:
            continue
        for name in names:
            path = os.path.join(root, name)
            if os.access(path, os.X_OK) and os.path.isfile(path):
                with open(path, "rb") as file:
                    if file.read(4) == b"\x7fELF":
                        programs.append(path)
    return programs


def shared_libraries(programs: list[str]) -> set[str]:
    libraries = set()
    for program in programs:
        result = subprocess.run(["ldd", program], capture_output=True, text=True, check=False)
        for line in result.stdout.splitlines():
            match = re.search(r"=>\s+(/\S+)", line) or re.match(r"\s*(/\S+)\s+\(", line)
            if match:
                libraries.add(match.group(1))
    return libraries


def files_from_traces(traces: list[Path]) -> tuple[set[str], set[str]]:
    """Programs started and regular files opened, from `strace -f -e trace=execve,openat` logs, where a
    call that another thread interrupted is split into an "<unfinished ...>" and a "resumed" line."""
    programs, opened = set(), set()
    call = re.compile(r'^(\d+ +)?(execve|openat)\((?:AT_FDCWD, )?"([^"]+)"')
    result = re.compile(r"\)\s+=\s+(\d+)")
    resumed = re.compile(r"^(\d+ +)?<\.\.\. (execve|openat) resumed>")
    pending: dict[str, tuple[str, str]] = {}
    for trace in traces:
        with open(trace, encoding="utf-8", errors="replace") as log:
            for line in log:
                started = call.match(line)
                if started:
                    pid, kind, path = started.group(1) or "", started.group(2), started.group(3)
                    if line.rstrip().endswith("<unfinished ...>"):
                        pending[pid + kind] = (kind, path)
                        continue
                else:
                    finished = resumed.match(line)
                    if not finished:
                        continue
                    entry = pending.pop((finished.group(1) or "") + finished.group(2), None)
                    if entry is None:
                        continue
                    kind, path = entry
                if path.startswith("/") and result.search(line):
                    (programs if kind == "execve" else opened).add(path)
    return programs, {path for path in opened if os.path.isfile(path)}


def files_the_model_setup_uses() -> set[str]:
    """scripts/setup-local-model.sh makes a venv with Debian's python3: the interpreter, the venv and
    ensurepip modules, and the wheels ensurepip installs from."""
    python = "/usr/bin/python3"
    if not os.path.exists(python):
        return {python}
    found = subprocess.run([python, "-c", "import ensurepip, venv; print(ensurepip.__file__); print(venv.__file__)"],
                           capture_output=True, text=True, check=False)
    files = {python, os.path.realpath(python), *found.stdout.split()}
    files.update(glob.glob("/usr/share/python-wheels/*.whl"))
    if found.returncode != 0:
        files.add("/usr/lib/python3/dist-packages/ensurepip (missing: python3 -m venv will fail)")
    return files


def is_program_or_library(path: str) -> bool:
    name = os.path.basename(path)
    return ".so" in name or (os.path.isfile(path) and os.access(path, os.X_OK))


def main() -> int:
    here = Path(__file__).resolve().parent
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", required=True, type=Path)
    parser.add_argument("--source-dir", type=Path, default=here.parent)
    parser.add_argument("--packages", type=Path, default=here / "debian-packages.txt")
    parser.add_argument("--trace", type=Path, action="append", default=[],
                        help="an `strace -f -o LOG -e trace=execve,openat` log of the tests")
    parser.add_argument("--allow", action="append", default=[],
                        help="a folder whose files are the project's own (the model cache, a project folder)")
    parser.add_argument("--quiet", action="store_true")
    arguments = parser.parse_args()

    build_dir = arguments.build_dir.resolve()
    if not arguments.packages.exists():
        print(f"{PROGRAM}: error: package list {arguments.packages} is missing", file=sys.stderr)
        return 2
    listed = read_package_list(arguments.packages)
    database = DpkgDatabase()
    not_installed = [name for name in listed if not database.installed(name)]
    if not_installed:
        print(f"{PROGRAM}: error: {arguments.packages} names packages that are not installed: "
              f"{' '.join(not_installed)} (run scripts/setup.sh)", file=sys.stderr)
        return 1

    covered = database.closure(listed)
    base = database.base_system()

    used: dict[str, str] = {}  # file -> what used it

    def add(paths, why):
        for path in paths:
            used.setdefault(os.path.normpath(path), why)

    cache = read_cmake_cache(build_dir)
    add(headers_from_ninja(build_dir), "the build (a header)")
    add(files_from_cmake_cache(cache), "CMake configure")
    add(files_from_build_ninja(build_dir), "the build (linking, code generators)")
    add(files_the_model_setup_uses(), "scripts/setup-local-model.sh")
    programs = built_programs(build_dir)
    add(shared_libraries(programs), "the programs built (a shared library)")
    started, opened = files_from_traces(arguments.trace)
    add(started, "the tests (a program they ran)")
    add(opened, "the tests (a file they opened)")

    own_roots = [str(build_dir), str(arguments.source_dir.resolve()),
                 *[str(Path(folder).expanduser().resolve()) for folder in arguments.allow]]
    missing: dict[str, list[str]] = {}
    foreign: dict[str, str] = {}
    owners = set()
    for path, why in sorted(used.items()):
        real = os.path.realpath(path)
        if any(path.startswith(root + "/") or real.startswith(root + "/") for root in own_roots):
            continue
        if path.startswith(IGNORED_ROOTS) or any(pattern.match(path) for pattern in READ_WHEN_PRESENT):
            continue
        owner = database.owner(path) or database.owner(real)
        if owner is None:
            if path.startswith(SYSTEM_ROOTS) and not path.startswith("/usr/local/"):
                continue  # made on the machine by a package's own scripts (caches, ld.so.cache)
            if is_program_or_library(path):
                foreign[path] = why
            continue
        owners.add(owner)
        if owner not in covered and owner not in base:
            missing.setdefault(owner, []).append(f"{path} (used by {why})")

    for package, files in sorted(missing.items()):
        more = f" and {len(files) - 1} more" if len(files) > 1 else ""
        print(f"{PROGRAM}: error: {package} is not installed by scripts/setup.sh (nor a Depends: of a package it "
              f"installs), but {files[0]}{more} comes from it: add {package} to {arguments.packages.name}",
              file=sys.stderr)
    for path, why in sorted(foreign.items()):
        print(f"{PROGRAM}: error: {path} (used by {why}) is not from a Debian package: a fresh machine does "
              f"not have it", file=sys.stderr)
    if missing or foreign:
        return 1
    if not arguments.quiet:
        print(f"{PROGRAM}: {len(used)} files used by the build{' and the tests' if arguments.trace else ''} "
              f"come from {len(owners)} Debian packages, every one installed by scripts/setup.sh "
              f"({len(listed)} listed, {len(covered)} with their Depends:)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
