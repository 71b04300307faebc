"""Linking rows to customer codes. This is the one replaceable matching step.

Today it matches by the exact normalised name (`name_key`) against the master and its aliases;
the customer-master issue replaces `match_key` and `assign_codes` with fuzzy matching and review.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from salespipe.customers.normalize import name_key


@dataclass
class Assignment:
    codes: list[str]  # one code per candidate row, in the order given
    new_customers: list[dict] = field(default_factory=list)  # rows that created a code, with `customer_code`
    new_aliases: list[tuple[str, str, str]] = field(default_factory=list)  # (alias_name, alias_key, code)


def format_code(prefix: str, number: int) -> str:
    return f"{prefix}{number:06d}"


def assign_codes(rows: list[dict], known: dict[str, str], known_spellings: set[str], next_number: int) -> Assignment:
    """Give every row a customer code. `rows` must already be in order of first appearance
    (date, file order, sheet, row); `known` maps name keys to existing codes."""
    known = dict(known)
    result = Assignment(codes=[])
    seen_spellings = set(known_spellings)
    for row in rows:
        key = name_key(row["customer_name"])
        code = known.get(key)
        if code is None:
            code = format_code("KH", next_number)
            next_number += 1
            known[key] = code
            result.new_customers.append({**row, "customer_code": code, "name_key": key})
        if row["customer_name"] not in seen_spellings:
            seen_spellings.add(row["customer_name"])
            result.new_aliases.append((row["customer_name"], key, code))
        result.codes.append(code)
    return result
