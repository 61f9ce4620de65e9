"""The report's stylesheet: large type and strong colours for a projector, applied over pytest-html's.

Kept as a Python string so the installed package carries it without package-data rules.
The body is a flex column so our summary comes right after the title, before pytest-html's
results table and environment (order only; nothing is hidden).
"""

from __future__ import annotations

CSS = """
body { display: flex; flex-direction: column; font-size: 18px; color: #1a1a1a; max-width: 1640px;
       margin: 0 auto; padding: 0 16px; font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif; }
#title { order: 0; font-size: 34px; margin-bottom: 4px; }
body > p { order: 1; color: #4d4d4d; font-size: 15px; }
.summary { order: 2; display: block; }
#results-table { order: 3; font-size: 15px; color: #1a1a1a; }
#environment-header { order: 4; }
#environment { order: 5; font-size: 15px; color: #1a1a1a; }
footer { order: 6; }
h2 { font-size: 26px; color: #1f4e79; margin: 28px 0 10px; border-bottom: 3px solid #1f4e79; }
h3 { font-size: 21px; margin: 18px 0 8px; }
h4 { font-size: 19px; margin: 6px 0; }
.summary__data { flex: none; width: 100%; }
.summary__data > h2 { display: none; }
.run-count, .filter { font-size: 16px; }
code, pre { font-family: "DejaVu Sans Mono", "Liberation Mono", monospace; }
.tdg-phase-table, .tdg-table, .tdg-steps { border-collapse: collapse; margin: 6px 0 10px; }
.tdg-phase-table th, .tdg-phase-table td, .tdg-table th, .tdg-table td, .tdg-steps th, .tdg-steps td {
  border: 1px solid #b8b8b8; padding: 6px 12px; text-align: left; vertical-align: top; }
.tdg-phase-table { font-size: 22px; min-width: 1100px; }
.tdg-phase-table thead th, .tdg-table thead th, .tdg-steps thead th { background: #1f4e79; color: #fff; }
.tdg-num { text-align: right !important; font-variant-numeric: tabular-nums; }
.tdg-note { color: #4d4d4d; font-size: 16px; margin: 2px 0; }
.tdg-legend { font-size: 16px; color: #4d4d4d; }
tr.tdg-passed, .tdg-scenario.tdg-passed { background: #e3f4e4; }
tr.tdg-failed, .tdg-scenario.tdg-failed { background: #fde0df; }
tr.tdg-blocked, .tdg-scenario.tdg-blocked { background: #fff0d4; }
tr.tdg-xfailed, .tdg-scenario.tdg-xfailed { background: #efe4fb; }
tr.tdg-skipped, tr.tdg-not-selected, tr.tdg-no-scenarios, tr.tdg-not-run, .tdg-scenario.tdg-skipped {
  background: #f1f1f1; color: #4d4d4d; }
tr.tdg-total { font-weight: bold; border-top: 3px solid #1a1a1a; }
.tdg-badge { display: inline-block; min-width: 96px; text-align: center; padding: 2px 8px; border-radius: 6px;
             color: #fff; font-size: 15px; margin-right: 8px; }
.tdg-badge.tdg-passed { background: #1b7a2f; } .tdg-badge.tdg-failed { background: #c62828; }
.tdg-badge.tdg-blocked { background: #b36b00; } .tdg-badge.tdg-xfailed { background: #6a3fa0; }
.tdg-badge.tdg-skipped { background: #6b6b6b; }
.tdg-time { color: #4d4d4d; font-weight: normal; font-size: 15px; }
.tdg-box { border: 3px solid #b36b00; background: #fff8ea; padding: 4px 18px 10px; border-radius: 10px; }
.tdg-box h2 { border: none; color: #8a5200; }
.tdg-cols { display: flex; gap: 28px; flex-wrap: wrap; }
.tdg-cols > div { flex: 1 1 480px; }
.tdg-two { display: flex; gap: 28px; flex-wrap: wrap; align-items: flex-start; }
.tdg-two > section { flex: 1 1 560px; }
.tdg-two > .tdg-box { margin-top: 28px; }
.tdg-results-text { font-size: 19px; background: #10202f; color: #f4f4f4; padding: 16px 20px; border-radius: 8px;
                    white-space: pre-wrap; line-height: 1.45; }
.tdg-i-ok { color: #5fd16f; } .tdg-i-bad { color: #ff6b6b; } .tdg-i-warn { color: #ffc24d; }
.tdg-i-cost { color: #ffd76b; font-weight: bold; }
.tdg-advice li { margin: 4px 0; } .tdg-recommended { font-weight: bold; color: #8a1c1c; }
.tdg-src { color: #4d4d4d; font-size: 15px; }
#tdg-topology { width: 100%; height: auto; max-width: 1600px; border: 1px solid #b8b8b8; border-radius: 8px; }
.tdg-phase-group { margin-bottom: 14px; }
.tdg-scenario { border: 1px solid #b8b8b8; border-radius: 8px; padding: 8px 14px; margin: 8px 0; }
.tdg-steps { font-size: 17px; width: 100%; background: #fff; table-layout: fixed; }
.tdg-steps th:nth-child(1) { width: 76px; } .tdg-steps th:nth-child(3) { width: 100px; }
.tdg-steps th:nth-child(4) { width: 80px; } .tdg-steps th:nth-child(5) { width: 360px; }
.tdg-steps td.tdg-kw { font-weight: bold; color: #1f4e79; }
.tdg-failure { border-left: 6px solid #c62828; background: #fff; padding: 4px 14px; margin-top: 8px; }
.tdg-message, .tdg-output { font-size: 16px; white-space: pre-wrap; background: #f7f7f7; padding: 8px 10px;
                            margin: 4px 0 8px; border-radius: 4px; }
.tdg-output { background: #1d1d1d; color: #eaeaea; }
"""
