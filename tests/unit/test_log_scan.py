"""The log scanner finds a company name or KvK number in a log line, and only those."""

from __future__ import annotations

from tests import log_scan


def test_a_name_or_a_kvk_number_in_a_log_line_is_found_and_the_finding_does_not_repeat_it(tmp_path):
    log = tmp_path / "intake.log"
    log.write_text('{"event": "lead_registered", "lead_id": "5f1c0d2e-8a51-4f7e-9c1a-1b2c3d4e5f60"}\n'
                   '{"event": "oops", "name": "Geheim Fotonica 7 B.V."}\n'
                   "DETAIL:  Key (kvk)=(12345678) already exists.\n"
                   '{"event": "dead_lettered", "field": "data.company.kvk_number", "error_class": "DataError"}\n'
                   "PostgreSQL 18.6, compiled by gcc (GCC) 14.2.1 20250110\n")
    found = list(log_scan.findings(log_scan.log_files([tmp_path])))
    assert [(f.line, f.what) for f in found] == [(2, "a company name"), (3, "an 8-digit number (a KvK number?)")]
    assert all("12345678" not in str(f) and "Fotonica" not in str(f) for f in found)


def test_kafka_s_data_segments_are_not_logs_but_its_server_log_is(tmp_path):
    (tmp_path / "node-1" / "data" / "lead-signalled-0").mkdir(parents=True)
    (tmp_path / "node-1" / "data" / "lead-signalled-0" / "00000000000000000000.log").write_text("x B.V.")
    (tmp_path / "node-1" / "server.log").write_text("started\n")
    assert [p.name for p in log_scan.log_files([tmp_path])] == ["server.log"]


def test_kafka_s_own_logs_are_searched_for_names_only(tmp_path):
    broker = tmp_path / "kafka" / "node-1"
    broker.mkdir(parents=True)
    (broker / "server.log").write_text("WARN fetch request (maxBytes=10485760, minBytes=1)\nTopic Fotonica B.V.\n")
    assert [(f.line, f.what) for f in log_scan.findings(log_scan.log_files([tmp_path]))] == [(2, "a company name")]
