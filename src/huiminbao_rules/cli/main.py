"""The ``huiminbao`` command: the only module that prints.

Bad input never shows a traceback: one message naming the file and the field, exit
code 2. ``check`` exits 1 when it finds a violation. A bug in the library still shows its
traceback, on purpose. A flag that would have no effect is refused (exit 2), never
silently ignored. Every verb that prints can print JSON (``--json``), with a ``schema``
key naming its shape.

Each verb imports what only it needs when it runs (describe, enrollment, regulation), so
``huiminbao adjudicate`` does not pay for them at start-up.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from huiminbao_rules import __version__
from huiminbao_rules.catalog import bundled_ids, bundled_products
from huiminbao_rules.adjudication.engine import replay
from huiminbao_rules.core.errors import AdjudicationError, HuiminbaoError, InputError
from huiminbao_rules.render.explain import statement, to_dict, trace
from huiminbao_rules.core.inputs import DEFAULT_LIMITS, NOT_A_FILE_NAME, Limits
from huiminbao_rules.core.money import format_yuan
from huiminbao_rules.claims.models import Claim, parse_claim, problems_from_validation
from huiminbao_rules.cli.common import LANG_HELP, Bad, lang_of, product_of, read_json_file, refuse_with_json
from huiminbao_rules.adjudication.result import YearToDate

__all__ = ["main"]

EXIT_BAD_INPUT = 2


class _Parser(argparse.ArgumentParser):
    """A usage error is bad input like any other: one line, exit 2 (not argparse's usage block)."""

    def error(self, message: str) -> Any:  # type: ignore[override]
        verb = self.prog.removeprefix("huiminbao").strip()
        raise Bad(f"{verb + ': ' if verb else ''}{message} (see `{self.prog} --help`)")


def _limits(args: argparse.Namespace) -> Limits:
    return Limits(max_bytes=getattr(args, "max_bytes", None) or DEFAULT_LIMITS.max_bytes,
                  max_fee_lines=getattr(args, "max_fee_lines", None) or DEFAULT_LIMITS.max_fee_lines)


def _claims(paths: Sequence[str], limits: Limits) -> list[tuple[str, Claim]]:
    claims = []
    for path in paths:
        data = read_json_file(path, "claim", limits)
        try:
            claims.append((path, parse_claim(data, limits=limits)))
        except InputError as exc:
            raise Bad(f"{path}: {exc}") from None
    return claims


def _year_to_date(path: str, limits: Limits) -> YearToDate:
    data = read_json_file(path, "year-to-date record", limits)
    try:
        return YearToDate.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(str(p) for p in problems_from_validation(exc)[:20])
        raise Bad(f"{path}: invalid year-to-date record: {problems}") from None


def _files_of(exc: AdjudicationError, paths: dict[str, str], ytd: str | None) -> str:
    """The files an adjudication error is about: its claims' files, and the year-to-date record's."""
    files = list(dict.fromkeys(paths[c] for c in exc.claims if c in paths))
    if ytd and (exc.year_to_date or any(c not in paths for c in exc.claims)):
        files.append(ytd)  # the record is what counted the claims no file holds
    return ", ".join(files or [*paths.values(), *([ytd] if ytd else [])])


def _print_json(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2))


def _date_arg(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date: {text!r} (accepted: YYYY-MM-DD)") from None


def _cmd_adjudicate(args: argparse.Namespace) -> int:
    refuse_with_json(args, "--lang", "--trace", "--on")
    lang = lang_of(args)
    limits = _limits(args)
    product = product_of(args.product, limits, args.list)
    named = _claims(args.claims, limits)
    claims = [c for _, c in named]
    paths: dict[str, str] = {}
    for path, c in named:
        if c.claim_id in paths:
            raise Bad(f"{paths[c.claim_id]}, {path}: claim ids repeat: both hold claim {c.claim_id!r}; "
                       "a claim is adjudicated once")
        paths[c.claim_id] = path
    ytd = _year_to_date(args.year_to_date, limits) if args.year_to_date else None
    try:
        year = replay(claims, product, ytd, unknown_lists=args.unknown_lists)
    except AdjudicationError as exc:
        raise Bad(f"{_files_of(exc, paths, args.year_to_date)}: {exc}") from None
    except HuiminbaoError as exc:
        raise Bad(str(exc)) from None
    if args.save_year_to_date:
        _write_year_to_date(args.save_year_to_date, year.year_to_date)
    if args.json:
        _print_json([to_dict(a, product) for a in year.adjudications])
        return 0
    for i, adj in enumerate(year.adjudications):
        if i:
            print()
        for line in statement(adj, product, lang, on=args.on):
            print(line)
        if args.trace:
            print()
            for line in trace(adj, product, lang):
                print(line)
    if len(year.adjudications) > 1:
        word = "本年度合计赔付 {} 元" if lang == "zh" else "Year total payable {} yuan"
        print()
        print(word.format(format_yuan(year.payable, grouped=True)))
    return 0


def _write_year_to_date(path: str, ytd: YearToDate) -> None:
    """The accumulators after the last claim, for the person's next claim (--year-to-date)."""
    try:
        Path(path).write_text(json.dumps(ytd.model_dump(mode="json"), ensure_ascii=False, indent=2) + "\n",
                              encoding="utf-8")
    except OSError as exc:
        raise Bad(f"{path}: cannot write the year-to-date record: {exc.strerror}") from None
    except ValueError:  # a NUL or a lone surrogate
        raise Bad(f"{path}: cannot write the year-to-date record: {NOT_A_FILE_NAME}") from None


def _cmd_products(args: argparse.Namespace) -> int:
    from huiminbao_rules.rules.completeness import completeness_summary

    try:
        products = bundled_products()
    except HuiminbaoError as exc:
        raise Bad(str(exc)) from None
    rows = [
        {"id": p.id, "city": p.city, "city_zh": p.city_zh, "name": p.name, "name_en": p.name_en,
         "policy_year": p.policy_year, "period": {"start": p.period.start.isoformat(), "end": p.period.end.isoformat()},
         "responsibilities": [r.id for r in p.responsibilities], "completeness": completeness_summary(p)}
        for p in products
    ]
    if args.json:
        _print_json({"schema": "huiminbao_rules.products/1", "products": rows})
        return 0
    width = max((len(r["id"]) for r in rows), default=2)
    for r in rows:
        print(f"{r['id']:<{width}}  {r['period']['start']} – {r['period']['end']}  {r['city_zh']} {r['name']}")
    return 0


def _cmd_show(args: argparse.Namespace) -> int:
    from huiminbao_rules.render.describe import describe, product_dict

    refuse_with_json(args, "--lang")
    product = product_of(args.product, lists=args.list)
    if args.json:
        _print_json(product_dict(product))
        return 0
    for line in describe(product, lang_of(args)):
        print(line)
    return 0


def _cmd_diff(args: argparse.Namespace) -> int:
    from huiminbao_rules.render.describe import diff, diff_dict

    refuse_with_json(args, "--lang")
    old, new = product_of(args.old), product_of(args.new)
    if args.json:
        _print_json(diff_dict(old, new))
        return 0
    for line in diff(old, new, lang_of(args)):
        print(line)
    return 0


def _cmd_enroll(args: argparse.Namespace) -> int:
    from huiminbao_rules.enrollment.application import enroll, parse_application
    from huiminbao_rules.render.describe import decision_dict, decision_lines

    refuse_with_json(args, "--lang")
    limits = _limits(args)
    product = product_of(args.product, limits)
    data = read_json_file(args.application, "application", limits)
    try:
        application = parse_application(data, limits=limits)
    except InputError as exc:
        raise Bad(f"{args.application}: {exc}") from None
    result = enroll(application, product)
    if args.json:
        _print_json(decision_dict(result, product))
    else:
        for line in decision_lines(result, product, lang_of(args)):
            print(line)
    return 0


def _cmd_check(args: argparse.Namespace) -> int:
    from huiminbao_rules.catalog import bundled_profiles, load_profile
    from huiminbao_rules.regulation.floors import applicable_profiles, check
    from huiminbao_rules.render.describe import finding_dict, findings_lines, findings_summary, summary_line
    from huiminbao_rules.rules.completeness import data_findings, data_findings_lines

    refuse_with_json(args, "--lang", "--all")
    lang = lang_of(args)
    refs = args.products or bundled_ids()
    try:
        chosen = [load_profile(args.profile)] if args.profile else None
        every = bundled_profiles()
    except HuiminbaoError as exc:
        raise Bad(str(exc)) from None
    every_finding = []
    data_count = 0
    rows = []
    for ref in refs:
        product = product_of(ref, lists=args.list)
        profiles = chosen if chosen is not None else applicable_profiles(product, every)
        for profile in profiles:
            findings = check(product, profile, strict=args.strict)
            every_finding += findings
            if args.json:
                rows += [{**finding_dict(product, f), "kind": "regulatory"} for f in findings]
            else:
                for line in findings_lines(product, findings, lang, not_applicable=args.all):
                    print(line)
        # What the data does not know, apart from the regulatory findings (never a violation).
        found = data_findings(product)
        data_count += len(found)
        if args.json:
            rows += [{"product": product.id, "kind": "data", "severity": "data", "recorded": False, "code": d.code,
                      "clause": d.clause, "detail": d.detail, "responsibilities": list(d.responsibilities)}
                     for d in found]
        else:
            for line in data_findings_lines(product, found, lang):
                print(line)
    counts = findings_summary(every_finding)
    if args.json:
        _print_json({"schema": "huiminbao_rules.check/1", "reading": "strict" if args.strict else "overall",
                     "summary": {"products": len(refs), **counts, "data_findings": data_count},
                     "findings": rows})
    else:
        print()
        print(summary_line(len(refs), counts, lang, shown_not_applicable=args.all))
    return 1 if counts["unrecorded_violations"] else 0


def _cmd_schema(args: argparse.Namespace) -> int:
    from huiminbao_rules.render.schemas import NAMES, schema

    if args.name not in NAMES:
        raise Bad(f"no schema named {args.name!r}; accepted: {', '.join(NAMES)}")
    _print_json(schema(args.name))
    return 0


_EPILOG = """\
examples:
  huiminbao products
  huiminbao show shenzhen-2023
  huiminbao adjudicate examples/claims/shenzhen-2023-s1.json --product shenzhen-2023
  huiminbao enroll examples/applications/hangzhou-2022-family.json --product hangzhou-2022
  huiminbao check hangzhou-2022
  huiminbao diff shenzhen-2023 shenzhen-2024

Bad input: one line "huiminbao: error: ..." and exit code 2. Documentation: README.md and docs/.
"""

_PRODUCT_HELP = "a bundled product id (see `huiminbao products`) or a product file (docs/product-format.md)"


def _positive(text: str) -> int:
    if not text.isascii() or not text.isdigit() or int(text) < 1 or len(text) > 12:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least 1")
    return int(text)


def _limit_flags(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("--max-bytes", type=_positive, metavar="N",
                     help=f"refuse an input file larger than N bytes (default {DEFAULT_LIMITS.max_bytes})")
    sub.add_argument("--max-fee-lines", type=_positive, metavar="N",
                     help=f"refuse a claim with more than N fee lines (default {DEFAULT_LIMITS.max_fee_lines})")


def _lang_flag(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("--lang", choices=("zh", "en"), default=None, help=LANG_HELP)


def _list_flag(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("--list", action="append", metavar="NAME=FILE.csv",
                     help="replace the product's list NAME by the list in FILE.csv (docs/product-format.md; repeatable)")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="huiminbao", formatter_class=argparse.RawDescriptionHelpFormatter, epilog=_EPILOG,
        description="What a Chinese city's 惠民保 pays on a claim, exact to the fen and explained line by line;\n"
                    "enrollment decisions; product terms, versions and regulatory checks.")
    parser.add_argument("--version", action="version", version=f"huiminbao {__version__}",
                        help="print the version and exit")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND",
                                title="commands (huiminbao COMMAND --help for each)")
    _add_adjudicate(sub)
    _add_products(sub)
    _add_show(sub)
    _add_diff(sub)
    _add_enroll(sub)
    _add_check(sub)
    _add_schema(sub)
    from huiminbao_rules.cli.ledger import add_ledger_parser
    add_ledger_parser(sub)
    return parser


def _add_adjudicate(sub: Any) -> None:
    """The ``adjudicate`` command."""
    adj = sub.add_parser("adjudicate", help="adjudicate one person's claims of one policy year",
                         description="Adjudicate one person's claims of one policy year: a claim statement "
                                     "(理赔计算书) per claim, in service-date order, the accumulators carried from "
                                     "claim to claim (docs/claim-format.md, docs/computation.md).")
    adj.add_argument("claims", nargs="+", metavar="CLAIM.json",
                     help="claim files (docs/claim-format.md); several are one person's claims of one year")
    adj.add_argument("--product", required=True, metavar="ID|FILE.toml", help=_PRODUCT_HELP)
    adj.add_argument("--json", action="store_true",
                     help="print a JSON array of results, one per claim (docs/result-json.md)")
    _lang_flag(adj)
    adj.add_argument("--trace", action="store_true",
                     help="also print every step of the computation with its clause and source; not with --json")
    adj.add_argument("--on", type=_date_arg, metavar="YYYY-MM-DD",
                     help="the statement's date, printed on it (the library reads no clock); not with --json")
    adj.add_argument("--year-to-date", metavar="YTD.json",
                     help="the person's accumulators from earlier claims of the year (docs/result-json.md), "
                          "as written by --save-year-to-date")
    adj.add_argument("--save-year-to-date", metavar="YTD.json",
                     help="write the accumulators after the last claim to this file, for the person's next claim")
    _limit_flags(adj)
    adj.add_argument("--unknown-lists", choices=("pend", "member", "non-member"), default="pend",
                     help="a line not found on a list that is not complete: held for review (pend, the default), "
                          "or taken as a member or a non-member for a what-if run")
    _list_flag(adj)
    adj.set_defaults(run=_cmd_adjudicate)


def _add_products(sub: Any) -> None:
    """The ``products`` command."""
    prods = sub.add_parser("products", help="list the bundled products",
                           description="List the bundled products: id, policy period, city and name (docs/products.md).")
    prods.add_argument("--json", action="store_true", help="print JSON: id, city, names, policy year, period, "
                                                           "responsibilities of each")
    prods.set_defaults(run=_cmd_products)


def _add_show(sub: Any) -> None:
    """The ``show`` command."""
    show = sub.add_parser("show", help="print a product's terms",
                          description="Print a product's terms, responsibility by responsibility, each figure "
                                      "with its source and the source's grade.")
    show.add_argument("product", metavar="ID|FILE.toml", help=_PRODUCT_HELP)
    _lang_flag(show)
    show.add_argument("--json", action="store_true", help="print the product's terms as JSON (the product file's keys)")
    _list_flag(show)
    show.set_defaults(run=_cmd_show)


def _add_diff(sub: Any) -> None:
    """The ``diff`` command."""
    dif = sub.add_parser("diff", help="what changed between two product versions",
                         description="What changed between two product versions, one line per change: - removed, "
                                     "+ added, ~ changed. List items are paired by what they are (an id, a "
                                     "condition, a value), not by position.")
    dif.add_argument("old", metavar="ID|FILE.toml", help="the earlier version: " + _PRODUCT_HELP)
    dif.add_argument("new", metavar="ID|FILE.toml", help="the later version: " + _PRODUCT_HELP)
    _lang_flag(dif)
    dif.add_argument("--json", action="store_true", help="print the changes as JSON (op, path, old, new)")
    dif.set_defaults(run=_cmd_diff)


def _add_enroll(sub: Any) -> None:
    """The ``enroll`` command."""
    enr = sub.add_parser("enroll", help="decide an enrollment application: eligibility, cover, premium, payers",
                         description="Decide an enrollment application (docs/enrollment.md): for each person, "
                                     "whether they may enroll, from when they are covered, the premium and who "
                                     "pays it.")
    enr.add_argument("application", metavar="APPLICATION.json", help="the application file (docs/enrollment.md)")
    enr.add_argument("--product", required=True, metavar="ID|FILE.toml", help=_PRODUCT_HELP)
    enr.add_argument("--json", action="store_true", help="print the decision as JSON (docs/enrollment.md)")
    _lang_flag(enr)
    _limit_flags(enr)
    enr.set_defaults(run=_cmd_enroll)


def _add_check(sub: Any) -> None:
    """The ``check`` command."""
    chk = sub.add_parser("check", help="check products against regulatory profiles (exit 1 on a violation)",
                         description="Check products against the regulatory profiles of their city "
                                     "(docs/regulation.md). Exit code 1 when a violation is found that the product "
                                     "file does not record.")
    chk.add_argument("products", nargs="*", metavar="ID|FILE.toml", help="products to check (default: every bundled "
                                                                         "product)")
    chk.add_argument("--profile", metavar="ID|FILE.toml",
                     help="check against this profile only: a bundled profile id or a profile file (default: the "
                          "profiles that govern each product's city)")
    chk.add_argument("--strict", action="store_true",
                     help="apply each bound to every responsibility and treat in-principle rules as binding")
    chk.add_argument("--all", action="store_true", help="also list the rules that do not apply (不适用); not with "
                                                        "--json, which always has them")
    chk.add_argument("--json", action="store_true", help="print JSON: a summary and every finding")
    _lang_flag(chk)
    _list_flag(chk)
    chk.set_defaults(run=_cmd_check)


def _add_schema(sub: Any) -> None:
    """The ``schema`` command."""
    sch = sub.add_parser("schema", help="print the JSON Schema of a file format or of the result JSON",
                         description="Print the JSON Schema of a format: the files a user writes (claim, "
                                     "application, year-to-date, product) or the result of `adjudicate --json` "
                                     "(docs/result-json.md, docs/claim-format.md).")
    sch.add_argument("name", metavar="NAME",
                     help="claim, application, year-to-date, product or result")
    sch.set_defaults(run=_cmd_schema)

def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = _parser().parse_args(argv)
        return int(args.run(args))
    except Bad as exc:
        # One line, whatever a file name or a value holds: line breaks, control characters
        # (a terminal's escape sequences) and lone surrogates are shown escaped.
        line = "".join(ch if ch == " " or ch.isprintable() else ch.encode("unicode_escape").decode("ascii")
                       for ch in str(exc))
        print(f"huiminbao: error: {line}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:  # the reader (e.g. `head`) stopped reading: not an error
        sys.stderr.close()
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
