"""The desk reaches contracts, claims and offers only through ``calls.desk.access``, which writes
the disclosure log: a page added later cannot show a record without the trace."""

import ast
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[2]
# The firm-scoped lookups that return one record, and the log's model.
SCOPED_LOOKUPS = {"contract_for_firm", "claim_for_firm", "offer_for_firm"}


def _names_used(path: pathlib.Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            names.add(node.id)
        elif isinstance(node, ast.Attribute):
            names.add(node.attr)
        elif isinstance(node, ast.ImportFrom):
            names.update(alias.name for alias in node.names)
    return names


def test_only_the_access_module_looks_up_one_record_or_writes_the_disclosure_log():
    offenders = []
    for package in ("calls", "gratisz"):
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts or path.name == "access.py":
                continue
            used = _names_used(path)
            if used & SCOPED_LOOKUPS or "_disclosure_log" in used:
                offenders.append(str(path.relative_to(ROOT)))
            if "Disclosure" in used and "create" in used and "admin" not in path.name:
                source = path.read_text(encoding="utf-8")
                if "Disclosure.objects.create" in source:
                    offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []
