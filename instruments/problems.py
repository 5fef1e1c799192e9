"""Every problem code an instrument file can raise, with its English message template.

Templates are wrapped in ``N_`` so Babel can extract them; the application translates the
template and formats it with the problem's parameters (``{row}``, ``{column}``, ``{value}``…).
File-level codes travel in :class:`instruments.base.ParseError`; row-level codes in
:class:`instruments.base.RowProblem`.
"""

from __future__ import annotations


def N_(message: str) -> str:
    """Mark ``message`` for translation without translating it (Babel keyword ``N_``)."""
    return message


#: File-level failures: the whole file is refused.
FILE_PROBLEMS: dict[str, str] = {
    "empty_file": N_("The file is empty."),
    "too_large": N_(
        "The file is {size_mb} MB; files larger than {limit_mb} MB are refused. "
        "Split it into smaller exports."
    ),
    "undecodable": N_(
        "The file's text could not be read: it is neither UTF-8 nor GB18030/GBK text. "
        "Export it again as CSV or save it as .xlsx."
    ),
    "legacy_xls": N_(
        "This is an old Excel .xls workbook, which cannot be read. "
        "Open it in Excel or WPS, save it as .xlsx and import that file."
    ),
    "encrypted_file": N_(
        "The workbook is protected with a password. Remove the password, save it again and "
        "import that file."
    ),
    "zip_bomb": N_(
        "The workbook would expand to more than a safe size (part {member}: {size} bytes). "
        "It was refused."
    ),
    "corrupt_file": N_("The file is damaged or is not a readable {kind} file."),
    "unknown_format": N_(
        "The file's format was not recognised: no header row of a supported instrument file "
        "was found in its first {lines} rows."
    ),
    "no_header": N_("No header row for the format {format} was found in the first {lines} rows."),
    "missing_column": N_(
        "Row {row}: the header has no column {column}, which the format {format} requires."
    ),
    "missing_sheet": N_("The workbook has no sheet named {sheet}."),
    "too_many_rows": N_(
        "The file has more than {limit} data rows. Split it into smaller files."
    ),
}

#: Row-level problems: the row yields no reading; the rest of the file is read on.
ROW_PROBLEMS: dict[str, str] = {
    "missing_value": N_("Row {row}: {column} is empty but is required."),
    "not_a_number": N_("Row {row}: {column} should be a number but is {value}."),
    "bad_time": N_("Row {row}: {column} {value} is not a date and time the system understands."),
    "future_time": N_("Row {row}: the test time {value} is in the future."),
    "unknown_word": N_("Row {row}: {column} {value} is not a word the system understands."),
    "short_row": N_(
        "Row {row}: the row has only {count} of the header's {width} columns and stops "
        "before {column}; the file may be cut off."
    ),
    "conflicting_words": N_(
        "Row {row}: the instrument's words {value} and {other} contradict each other."
    ),
}

PROBLEMS: dict[str, str] = {**FILE_PROBLEMS, **ROW_PROBLEMS}


class _KeepMissing(dict):
    """Leave a placeholder visible rather than fail when a parameter is absent."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def template_for(code: str) -> str:
    """Return the English template of problem ``code`` (the code itself if unknown)."""
    return PROBLEMS.get(code, code)


def render(template: str, params: dict) -> str:
    """Format ``template`` with ``params``; absent parameters stay as ``{name}``."""
    try:
        return template.format_map(_KeepMissing(params))
    except (ValueError, IndexError, AttributeError, KeyError):
        return template
