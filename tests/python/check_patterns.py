"""Checks the STIX pattern fixtures against the OASIS pattern validator.

Usage: check_patterns.py VALID.txt INVALID.txt
Every pattern in VALID.txt must pass; every pattern in INVALID.txt
("<offset>\\t<pattern>" lines) must fail. '#' lines are comments.
"""
import sys

from stix2patterns.validator import run_validator


def lines(path):
    with open(path, encoding="utf-8") as handle:
        for line in handle.read().split("\n"):
            if not line.startswith("#") and line != "":
                yield line


def main(valid_path, invalid_path):
    problems = []
    checked = 0
    for pattern in lines(valid_path):
        if "[-" in pattern:
            print(f"skipped {pattern!r}: stix2-patterns crashes on negative list indexes")
            continue
        checked += 1
        errors = run_validator(pattern, stix_version="2.1")
        if errors:
            problems.append(f"rejected valid {pattern!r}: {errors}")
    for line in lines(invalid_path):
        checked += 1
        _, pattern = line.split("\t", 1)
        try:
            accepted = not run_validator(pattern, stix_version="2.1")
        except Exception:  # stix2-patterns crashes on some bad input, e.g. ''
            accepted = False
        if accepted:
            problems.append(f"accepted invalid {pattern!r}")
    for problem in problems:
        print("FAIL", problem)
    print(f"{checked - len(problems)} passed, {len(problems)} failed")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
