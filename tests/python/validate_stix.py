"""Runs the OASIS stix2-validator over JSON files given on the command line.

Prints one line per file that fails (with the validator's messages) and a
closing 'N passed, N failed' line; exits 1 when any file fails.
"""
import sys

from stix2validator import ValidationOptions, validate_file


def main(paths):
    options = ValidationOptions(version="2.1")
    failed = 0
    for path in paths:
        result = validate_file(path, options)
        if result.is_valid:
            continue
        failed += 1
        for obj in result.object_results:
            for error in obj.errors:
                print(f"FAIL {path}: {obj.object_id}: {error}")
        if result.fatal:
            print(f"FAIL {path}: {result.fatal}")
    print(f"{len(paths) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
