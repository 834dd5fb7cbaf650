"""The pytest plugin, in pytest sessions of their own (pytester): fixtures, options, teardown."""

import convmock

ONE_TEST = """
def test_it(convmock):
    answer = convmock.request("POST", "/v1/conversations", form={"contact_id": "c"})
    assert answer.status == 201
"""


def test_the_fixtures_need_no_conftest(pytester):
    pytester.makepyfile(ONE_TEST)
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(passed=1)


def test_each_test_has_a_workspace_of_its_own_and_leaves_no_rule_or_clock_behind(pytester):
    pytester.makepyfile(
        """
        def test_first(convmock):
            assert convmock.request("DELETE", "/v1/conversations/xgQQXg3hrtjh7AvZ").status == 204
            convmock.add_fault(method="GET", path="/v1/conversations", status=500)
            convmock.clock(now=12345)

        def test_second(convmock):
            assert convmock.request("GET", "/v1/conversations/xgQQXg3hrtjh7AvZ").status == 200
            assert convmock.request("GET", "/v1/conversations").status == 200
            assert convmock.clock()["now"] != 12345
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:randomly")
    result.assert_outcomes(passed=2)


def test_convmock_url_uses_the_running_server_and_spawns_none(pytester):
    with convmock.start("--isolate", "--quiet") as server:
        pytester.makepyfile(
            f"""
            def test_it(convmock, convmock_server):
                assert convmock_server.process is None
                assert convmock_server.url == {server.url!r}
                convmock.request("POST", "/v1/conversations", form={{"contact_id": "from-inside"}})
                convmock.close()
                assert convmock.journal()
            """
        )
        result = pytester.runpytest_subprocess(f"--convmock-url={server.url}")
        result.assert_outcomes(passed=1)
        sent = server.client().journal(method="POST", all_tokens=True)
        assert [e["body"] for e in sent] == ["contact_id=from-inside"]
    assert server.close() is not None


NOT_FOUND_BODY = """
import json

def test_it(convmock):
    answer = convmock.request("GET", "/v1/conversations/nope")
    print("BODY", json.dumps(sorted(answer.json())))
"""


def test_convmock_flags_reach_the_server(pytester):
    pytester.makepyfile(NOT_FOUND_BODY)
    result = pytester.runpytest_subprocess("-s", "--convmock-flags=--profile oblic --quiet")
    result.assert_outcomes(passed=1)
    assert 'BODY ["data", "errors", "status"]' in result.stdout.str()


def test_the_ini_key_reaches_the_server_and_isolate_is_not_doubled(pytester):
    pytester.makeini("[pytest]\nconvmock_flags = --isolate --profile protocol --quiet\n")
    pytester.makepyfile(NOT_FOUND_BODY)
    result = pytester.runpytest_subprocess("-s")
    result.assert_outcomes(passed=1)
    assert 'BODY ["documentation_url", "message", "type"]' in result.stdout.str()


def test_a_server_that_cannot_start_fails_the_tests_with_its_message(pytester):
    pytester.makepyfile(ONE_TEST)
    result = pytester.runpytest_subprocess("--convmock-flags=--profile nonsense")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*StartError*--profile*"])
