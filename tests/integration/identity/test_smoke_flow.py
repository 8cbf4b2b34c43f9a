from tests.support.identity import signup_and_login_in_process


def test_signup_verify_me(aws, call_route):
    alice = signup_and_login_in_process(call_route, "client", password="correct horse battery")
    res = call_route("GET", "/v1/me", caller=alice["caller"])
    assert res.status == 200, res
    assert res.json["userId"] == alice["user"]["userId"]
