"""One error hierarchy: user-fixable problems become messages and exit codes."""

from __future__ import annotations

from dataclasses import dataclass

EXIT_OK = 0
EXIT_DRIFT = 1
EXIT_USAGE = 2
#: An exception that is not a user error: a bug in obsgen (EX_SOFTWARE).
EXIT_BUG = 70


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with a user's input, located as precisely as we can."""

    file: str
    line: int  # 1-based; 0 when unknown
    column: int  # 1-based; 0 when unknown
    path: str  # field path such as ``services.pay.slos.latency.threshold``
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.line:
            where += f":{self.line}:{self.column}"
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class ObsgenError(Exception):
    """Base of every error that is the user's to fix (exit code 2, no traceback)."""

    exit_code = EXIT_USAGE


class CatalogError(ObsgenError):
    """The catalog is invalid; carries every problem found, not only the first."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(set(problems))
        super().__init__("\n".join(str(p) for p in self.problems))


class OutputError(ObsgenError):
    """The output directory cannot be written as asked (nothing was changed)."""
