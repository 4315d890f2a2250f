from failover import rejoin
from replication import gtid


def test_a_server_holding_nothing_the_primary_lacks_is_pointed_at_it_directly():
    assert rejoin.recovery_reason(None, 0, "0-1-500") is None


def test_waiting_commits_or_lacking_transactions_go_through_the_truncating_restart():
    waiting = rejoin.recovery_reason("Lock wait timeout exceeded", 0, "")
    assert waiting and "waiting for a replica's acknowledgement" in waiting
    lacking = rejoin.recovery_reason(None, 3, "0-1-503")
    assert lacking and "3 transaction(s)" in lacking and "0-1-503" in lacking


def test_after_the_recovery_truncated_the_unacknowledged_tail_nothing_is_lacking():
    # db1 had binlogged 0-1-501..503 (never committed, never acknowledged), db2 was promoted
    # at 0-1-500 and wrote on: the truncation takes db1 back to 0-1-500, which db2 holds.
    promoted_state = "0-1-500,0-2-640"
    assert gtid.maria_lacking("0-1-503", promoted_state) == 3
    assert gtid.maria_lacking("0-1-500", promoted_state) == 0


def test_the_refusal_says_why_and_how_to_rebuild():
    message = str(rejoin.refusal("db1", "db2", 2, "0-1-502"))
    assert "committed in its engine" in message
    assert "manage.py reclone db1" in message and "0-1-502" in message
