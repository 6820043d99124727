"""The ``huiminbao`` command: the only module that prints.

Bad input never shows a traceback: one message naming the file and the field, exit
code 2. ``check`` exits 1 when it finds a violation. A bug in the library still shows its
traceback, on purpose.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .catalog import bundled_ids, bundled_products, bundled_profiles, get_profile, load_product, with_user_list
from .completeness import completeness_summary, data_findings, data_findings_lines
from .describe import decision_dict, decision_lines, describe, diff, findings_lines
from .enrollment import enroll, parse_application
from .engine import replay
from .errors import HuiminbaoError, InputError
from .explain import statement, to_dict, trace
from .models import Claim, parse_claim
from .product import Product
from .regulation import applicable_profiles, check
from .result import YearToDate

__all__ = ["main"]

EXIT_BAD_INPUT = 2


class _Bad(Exception):
    """Bad input, already phrased for the user."""


def _read_json_file(path: str, what: str) -> Any:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise _Bad(f"{path}: cannot read {what}: {exc.strerror}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise _Bad(f"{path}: malformed JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from None


def _claims(paths: Sequence[str]) -> list[Claim]:
    claims = []
    for path in paths:
        data = _read_json_file(path, "claim")
        try:
            claims.append(parse_claim(data))
        except InputError as exc:
            raise _Bad(f"{path}: {exc}") from None
    return claims


def _product(ref: str, lists: Sequence[str] | None = None) -> Product:
    try:
        product = load_product(ref)
        for spec in lists or ():
            name, sep, path = spec.partition("=")
            if not sep or not name or not path:
                raise _Bad(f"--list {spec!r}: expected NAME=FILE.csv (a list name of the product, then its file)")
            product = with_user_list(product, name, path)
        return product
    except HuiminbaoError as exc:
        raise _Bad(str(exc)) from None


def _cmd_adjudicate(args: argparse.Namespace) -> int:
    product = _product(args.product, args.list)
    claims = _claims(args.claims)
    ytd = None
    if args.year_to_date:
        data = _read_json_file(args.year_to_date, "year-to-date record")
        try:
            ytd = YearToDate.model_validate(data)
        except ValueError as exc:
            raise _Bad(f"{args.year_to_date}: invalid year-to-date record: {exc}") from None
    try:
        year = replay(claims, product, ytd, unknown_lists=args.unknown_lists)
    except HuiminbaoError as exc:
        raise _Bad(str(exc)) from None
    if args.json:
        print(json.dumps([to_dict(a, product) for a in year.adjudications], ensure_ascii=False, indent=2))
        return 0
    for i, adj in enumerate(year.adjudications):
        if i:
            print()
        for line in statement(adj, product, args.lang):
            print(line)
        if args.trace:
            print()
            for line in trace(adj, product, args.lang):
                print(line)
    if len(year.adjudications) > 1:
        word = "本年度合计赔付" if args.lang == "zh" else "Year total payable"
        print()
        print(f"{word} {year.payable:,.2f}")
    return 0


def _cmd_products(args: argparse.Namespace) -> int:
    try:
        products = bundled_products()
    except HuiminbaoError as exc:
        raise _Bad(str(exc)) from None
    rows = [
        {"id": p.id, "city": p.city, "city_zh": p.city_zh, "name": p.name, "name_en": p.name_en,
         "policy_year": p.policy_year, "period": {"start": p.period.start.isoformat(), "end": p.period.end.isoformat()},
         "responsibilities": [r.id for r in p.responsibilities], "completeness": completeness_summary(p)}
        for p in products
    ]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    width = max((len(r["id"]) for r in rows), default=2)
    for r in rows:
        print(f"{r['id']:<{width}}  {r['period']['start']} – {r['period']['end']}  {r['city_zh']} {r['name']}")
    return 0


def _cmd_show(args: argparse.Namespace) -> int:
    for line in describe(_product(args.product, args.list), args.lang):
        print(line)
    return 0


def _cmd_diff(args: argparse.Namespace) -> int:
    for line in diff(_product(args.old), _product(args.new)):
        print(line)
    return 0


def _cmd_enroll(args: argparse.Namespace) -> int:
    product = _product(args.product)
    data = _read_json_file(args.application, "application")
    try:
        application = parse_application(data)
    except InputError as exc:
        raise _Bad(f"{args.application}: {exc}") from None
    result = enroll(application, product)
    if args.json:
        print(json.dumps(decision_dict(result, product), ensure_ascii=False, indent=2))
    else:
        for line in decision_lines(result, product, args.lang):
            print(line)
    return 0


def _cmd_check(args: argparse.Namespace) -> int:
    refs = args.products or bundled_ids()
    try:
        chosen = [get_profile(args.profile)] if args.profile else None
        every = bundled_profiles()
    except HuiminbaoError as exc:
        raise _Bad(str(exc)) from None
    violations = 0
    rows = []
    for ref in refs:
        product = _product(ref, args.list)
        profiles = chosen if chosen is not None else applicable_profiles(product, every)
        for profile in profiles:
            findings = check(product, profile, strict=args.strict)
            violations += sum(1 for f in findings if f.severity == "violation" and not f.recorded)
            if args.json:
                rows += [{"product": product.id, "kind": "regulatory",
                          **{k: (str(v) if v is not None and not isinstance(v, (bool, str)) else v)
                             for k, v in vars(f).items()}} for f in findings]
            else:
                for line in findings_lines(product, findings, args.lang):
                    print(line)
        # What the data does not know, apart from the regulatory findings (never a violation).
        found = data_findings(product)
        if args.json:
            rows += [{"product": product.id, "kind": "data", "severity": "data", "recorded": False, "code": d.code,
                      "clause": d.clause, "detail": d.detail, "responsibilities": list(d.responsibilities)}
                     for d in found]
        else:
            for line in data_findings_lines(product, found, args.lang):
                print(line)
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
    return 1 if violations else 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="huiminbao", description="惠民保 benefit adjudication")
    sub = parser.add_subparsers(dest="command", required=True)
    adj = sub.add_parser("adjudicate", help="adjudicate one person's claims of one policy year")
    adj.add_argument("claims", nargs="+", metavar="CLAIM.json")
    adj.add_argument("--product", required=True, metavar="ID|FILE.toml", help="bundled product id or a product file")
    adj.add_argument("--json", action="store_true", help="print a JSON array of results, one per claim")
    adj.add_argument("--lang", choices=("zh", "en"), default="zh", help="statement language (default zh)")
    adj.add_argument("--trace", action="store_true", help="also print every step with its clause and source")
    adj.add_argument("--year-to-date", metavar="YTD.json", help="accumulators from earlier claims of the year")
    adj.add_argument("--unknown-lists", choices=("pend", "member", "non-member"), default="pend",
                     help="a line not found on a list that is not complete: held for review (pend, the default), "
                          "or taken as a member or a non-member for a what-if run")
    adj.add_argument("--list", action="append", metavar="NAME=FILE.csv",
                     help="replace the product's list NAME by the list in FILE.csv (repeatable)")
    adj.set_defaults(run=_cmd_adjudicate)
    prods = sub.add_parser("products", help="list the bundled products")
    prods.add_argument("--json", action="store_true")
    prods.set_defaults(run=_cmd_products)
    show = sub.add_parser("show", help="print a product's terms")
    show.add_argument("product", metavar="ID|FILE.toml")
    show.add_argument("--lang", choices=("zh", "en"), default="zh")
    show.add_argument("--list", action="append", metavar="NAME=FILE.csv",
                      help="replace the product's list NAME by the list in FILE.csv (repeatable)")
    show.set_defaults(run=_cmd_show)
    dif = sub.add_parser("diff", help="what changed between two product versions")
    dif.add_argument("old", metavar="ID|FILE.toml")
    dif.add_argument("new", metavar="ID|FILE.toml")
    dif.set_defaults(run=_cmd_diff)
    enr = sub.add_parser("enroll", help="decide an enrollment application: eligibility, cover, premium, payers")
    enr.add_argument("application", metavar="APPLICATION.json")
    enr.add_argument("--product", required=True, metavar="ID|FILE.toml")
    enr.add_argument("--json", action="store_true")
    enr.add_argument("--lang", choices=("zh", "en"), default="zh")
    enr.set_defaults(run=_cmd_enroll)
    chk = sub.add_parser("check", help="check products against regulatory profiles (exit 1 on a violation)")
    chk.add_argument("products", nargs="*", metavar="ID|FILE.toml", help="default: every bundled product")
    chk.add_argument("--profile", metavar="ID", help="default: the profiles that govern each product's city")
    chk.add_argument("--strict", action="store_true",
                     help="apply each bound to every responsibility and treat in-principle rules as binding")
    chk.add_argument("--json", action="store_true")
    chk.add_argument("--list", action="append", metavar="NAME=FILE.csv",
                     help="replace the product's list NAME by the list in FILE.csv (repeatable)")
    chk.add_argument("--lang", choices=("zh", "en"), default="zh")
    chk.set_defaults(run=_cmd_check)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return int(args.run(args))
    except _Bad as exc:
        print(f"huiminbao: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:  # the reader (e.g. `head`) stopped reading: not an error
        sys.stderr.close()
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
