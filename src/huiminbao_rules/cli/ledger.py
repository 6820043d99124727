"""``huiminbao ledger init|submit|reverse|show|export``: the claims ledger from the command
line (see ``docs/ledger.md``). Part of the ``huiminbao`` command: same error
discipline, one line ``huiminbao: error: …`` naming the file, exit 2.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from huiminbao_rules.cli.common import LANG_HELP, Bad, lang_of, product_of, read_json_file, refuse_with_json
from huiminbao_rules.core.errors import HuiminbaoError
from huiminbao_rules.core.money import format_yuan

__all__ = ["add_ledger_parser"]

DEFAULT_DB = "./huiminbao.sqlite"


_CAUSE_ZH = {"submitted": "提交", "readjudicated": "重新理算", "reversed": "撤销"}
_STATUS_ZH = {"live": "有效", "reversed": "已撤销"}


def _adjustment_line(a: Any, zh: bool, indent: str = "  ") -> str:
    """One adjustment: the claim, the versions from and to, the payable before and after."""
    if zh:
        return (f"{indent}调整: 理赔 {a.claim_id} 第 {a.from_version} 版 -> 第 {a.to_version} 版: "
                f"{format_yuan(a.previous_payable)} -> {format_yuan(a.new_payable)} ({format_yuan(a.difference, signed=True)})")
    return (f"{indent}adjustment: claim {a.claim_id} v{a.from_version} -> v{a.to_version}: "
            f"{format_yuan(a.previous_payable)} -> {format_yuan(a.new_payable)} ({format_yuan(a.difference, signed=True)})")


def _year(text: str) -> int:
    """``--year``: a policy year in ASCII digits (full-width or other scripts' digits are refused)."""
    if not (len(text) == 4 and text.isascii() and text.isdigit()):
        raise argparse.ArgumentTypeError(f"not a policy year: {text!r} (accepted: four digits, e.g. 2023)")
    return int(text)


def _url(db: str) -> str:
    """``--db``: a URL, or a path to a SQLite file."""
    return db if "://" in db else f"sqlite:///{db}"


def _open(args: argparse.Namespace, *, create: bool = False) -> Any:
    from huiminbao_rules.ledger import Ledger

    try:
        return Ledger.open(_url(args.db), create=create)
    except HuiminbaoError as exc:
        raise Bad(str(exc)) from None


def _cmd_init(args: argparse.Namespace) -> int:
    from huiminbao_rules.ledger import SCHEMA_VERSION

    with _open(args, create=True) as ledger:
        if lang_of(args) == "zh":
            print(f"账本已就绪: {_url(args.db)} ({ledger.dialect}, 数据结构版本 {SCHEMA_VERSION})")
        else:
            print(f"ledger ready: {_url(args.db)} ({ledger.dialect}, schema version {SCHEMA_VERSION})")
    return 0


def _cmd_submit(args: argparse.Namespace) -> int:
    refuse_with_json(args, "--lang")
    zh = lang_of(args) == "zh"
    product = product_of(args.product)
    with _open(args, create=True) as ledger:
        done = []
        for path in args.claims:
            data = read_json_file(path, "claim")
            try:
                submission = ledger.submit(data, product)
            except HuiminbaoError as exc:
                raise Bad(f"{path}: {exc}") from None
            done.append(submission)
            if not args.json:
                if zh:
                    status = _STATUS_ZH.get(submission.status, submission.status)
                    what = "已记录" if submission.recorded else f"此前已记录 ({status})"
                    print(f"{path}: 理赔 {submission.claim_id} 第 {submission.version} 版 应付 "
                          f"{format_yuan(submission.payable)} {what}")
                else:
                    what = "recorded" if submission.recorded else f"already recorded ({submission.status})"
                    print(f"{path}: claim {submission.claim_id} v{submission.version} payable "
                          f"{format_yuan(submission.payable)} {what}")
                for a in submission.adjustments:
                    print(_adjustment_line(a, zh))
        if args.json:
            print(json.dumps([{"schema": "huiminbao_rules.ledger.submission/1", **s.to_dict()} for s in done],
                             ensure_ascii=False, indent=2))
    return 0


def _cmd_reverse(args: argparse.Namespace) -> int:
    refuse_with_json(args, "--lang")
    zh = lang_of(args) == "zh"
    with _open(args) as ledger:
        try:
            reversal = ledger.reverse(args.claim_id, args.reason)
        except HuiminbaoError as exc:
            raise Bad(str(exc)) from None
        if args.json:
            print(json.dumps({"schema": "huiminbao_rules.ledger.reversal/1", **reversal.to_dict()},
                             ensure_ascii=False, indent=2))
            return 0
        if zh:
            what = "已撤销" if reversal.recorded else "此前已撤销"
            print(f"理赔 {reversal.claim_id} {what} (第 {reversal.version} 版): {reversal.reason}")
        else:
            what = "reversed" if reversal.recorded else "already reversed"
            print(f"claim {reversal.claim_id} {what} (v{reversal.version}): {reversal.reason}")
        for a in reversal.adjustments:
            print(_adjustment_line(a, zh))
    return 0


def _cmd_show(args: argparse.Namespace) -> int:
    refuse_with_json(args, "--lang")
    with _open(args) as ledger:
        try:
            state = ledger.show(args.insured_id, args.year, args.product)
        except HuiminbaoError as exc:
            raise Bad(str(exc)) from None
    if args.json:
        print(json.dumps({"schema": "huiminbao_rules.ledger.person_year/1", **state}, ensure_ascii=False, indent=2))
        return 0
    if lang_of(args) == "zh":
        _print_person_year_zh(state)
        return 0
    print(f"{state['insured_id']} · {state['product_id']} · policy year {state['policy_year']}: "
          f"{state['live_claims']} live claim(s), payable total {state['payable_total']} (revision {state['revision']})")
    for c in state["claims"]:
        note = f" — reversed: {c['reversal_reason']}" if c["status"] == "reversed" else ""
        print(f"  {c['service_on']}  {c['claim_id']}  v{c['current_version']}  payable {c['payable']}{note}")
        for v in c["versions"]:
            print(f"      v{v['version']} {v['cause']:<13} {v['payable']:>12}  (event {v['event']}, "
                  f"library {v['library_version']})")
    if state["adjustments"]:
        print("  adjustments:")
        for a in state["adjustments"]:
            print(f"    event {a['event']}: claim {a['claim_id']} v{a['from_version']} -> v{a['to_version']}: "
                  f"{a['previous_payable']} -> {a['new_payable']} ({a['difference']})")
    acc = state["accumulators"] or {}
    pools = ", ".join(f"{k} {v}" for k, v in sorted((acc.get("deductible_pools") or {}).items())) or "none"
    print(f"  accumulators: paid {acc.get('total_paid', '0.00')}; deductible used: {pools}")
    return 0


def _print_person_year_zh(state: dict[str, Any]) -> None:
    print(f"{state['insured_id']} · {state['product_id']} · 保单年度 {state['policy_year']}: "
          f"有效理赔 {state['live_claims']} 笔, 应付合计 {state['payable_total']} (修订号 {state['revision']})")
    for c in state["claims"]:
        note = f" — 已撤销: {c['reversal_reason']}" if c["status"] == "reversed" else ""
        print(f"  {c['service_on']}  {c['claim_id']}  第 {c['current_version']} 版  应付 {c['payable']}{note}")
        for v in c["versions"]:
            cause = _CAUSE_ZH.get(v["cause"], v["cause"])
            print(f"      第 {v['version']} 版 {cause:<6} {v['payable']:>12}  (事件 {v['event']}, "
                  f"库版本 {v['library_version']})")
    if state["adjustments"]:
        print("  调整:")
        for a in state["adjustments"]:
            print(f"    事件 {a['event']}: 理赔 {a['claim_id']} 第 {a['from_version']} 版 -> 第 {a['to_version']} 版: "
                  f"{a['previous_payable']} -> {a['new_payable']} ({a['difference']})")
    acc = state["accumulators"] or {}
    pools = ", ".join(f"{k} {v}" for k, v in sorted((acc.get("deductible_pools") or {}).items())) or "无"
    print(f"  累计: 已付 {acc.get('total_paid', '0.00')}; 已用免赔额: {pools}")


def _cmd_export(args: argparse.Namespace) -> int:
    from huiminbao_rules.ledger.export import export

    with _open(args) as ledger:
        try:
            done = export(ledger, args.format, args.out, product_id=args.product)
        except HuiminbaoError as exc:
            raise Bad(str(exc)) from None
    if lang_of(args) == "zh":
        print(f"已导出 {done['claims']} 笔有效理赔: {', '.join(done['files'])}")
    else:
        print(f"exported {done['claims']} live claim(s): {', '.join(done['files'])}")
    return 0


def add_ledger_parser(sub: Any) -> None:
    """Add ``ledger`` and its verbs to the ``huiminbao`` command's subparsers."""
    about = "a claims ledger: submit, reverse, show, export (SQLite or PostgreSQL)"
    led = sub.add_parser("ledger", help=about, description=(
        "A claims ledger: each person-year's claims adjudicated in service-date order, stored with "
        "their results, versions and adjustments, on SQLite (default) or PostgreSQL."))
    verbs = led.add_subparsers(dest="ledger_command", required=True, metavar="VERB", help="what to do")

    def verb(name: str, help_text: str) -> argparse.ArgumentParser:
        p = verbs.add_parser(name, help=help_text, description=help_text[:1].upper() + help_text[1:] + ".")
        p.add_argument("--db", default=DEFAULT_DB, metavar="URL_OR_PATH",
                       help=f"sqlite:///PATH, postgresql://… or a SQLite file (default {DEFAULT_DB})")
        p.add_argument("--lang", choices=("zh", "en"), default=None,
                       help=LANG_HELP if name in ("submit", "reverse", "show")
                       else "output language: zh (Chinese, the default) or en (English)")
        return p

    init = verb("init", "create the ledger (or bring its schema up to date)")
    init.set_defaults(run=_cmd_init)
    sub_ = verb("submit", "adjudicate claims into their person-years and record them")
    sub_.add_argument("claims", nargs="+", metavar="CLAIM.json", help="claim files (the claim JSON format)")
    sub_.add_argument("--product", required=True, metavar="ID|FILE.toml", help="bundled product id or a product file")
    sub_.add_argument("--json", action="store_true", help="print a JSON array, one entry per claim")
    sub_.set_defaults(run=_cmd_submit)
    rev = verb("reverse", "reverse a claim: its effect removed, later claims re-adjudicated")
    rev.add_argument("claim_id", metavar="CLAIM_ID", help="the id of a claim in the ledger")
    rev.add_argument("--reason", required=True, metavar="TEXT", help="why the claim is reversed (kept in the audit trail)")
    rev.add_argument("--json", action="store_true", help="print the reversal and its adjustments as JSON")
    rev.set_defaults(run=_cmd_reverse)
    show = verb("show", "a person-year: claims, versions, adjustments, accumulators")
    show.add_argument("insured_id", metavar="INSURED_ID", help="the insured person's id")
    show.add_argument("--year", required=True, type=_year, metavar="POLICY_YEAR", help="the policy year")
    show.add_argument("--product", required=True, metavar="ID", help="the product id the claims were submitted under")
    show.add_argument("--json", action="store_true", help="print the person-year as JSON (with payable_total)")
    show.set_defaults(run=_cmd_show)
    exp = verb("export", "live claims and results in the loaders' formats")
    exp.add_argument("--format", required=True, choices=("parquet", "jsonl"), help="the loaders' format to write")
    exp.add_argument("--out", required=True, metavar="PATH",
                     help="jsonl: the claims file (results beside it); parquet: a directory of tables")
    exp.add_argument("--product", metavar="ID", help="only this product's claims")
    exp.set_defaults(run=_cmd_export)
