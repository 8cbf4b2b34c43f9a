def test_x(aws, call_route):
    c = {"userId": "c1", "role": "client"}
    r = call_route("POST", "/v1/jobs", body={"title": "Fix sink", "description": "leaks", "category": "plumbing", "city": " Cápe  Town", "budget": {"amount": 1000, "currency": "ZAR"}}, caller=c)
    print(r.status, r.json)
    jid = r.json["id"]
    for i in range(3):
        r = call_route("POST", "/v1/jobs", body={"title": "Fix sink", "description": "leaks", "category": "plumbing", "city": "x"}, caller=c)
        print(r.status, r.json)
    r = call_route("POST", "/v1/jobs", body={"title": "F", "description": "leaks", "category": "plumbingx", "city": "  "}, caller=c)
    print(r.status, r.json)
    print(call_route("GET", "/v1/jobs", query="city=cape%20town&category=plumbing&limit=1", caller=c).json)
    print(call_route("GET", "/v1/jobs", query="limit=1", caller=c).json)
    print(call_route("GET", "/v1/jobs", query="limit=0&status=x", caller=c).json)
    print(call_route("GET", f"/v1/jobs/{jid}", caller=c).json)
    print(call_route("PATCH", f"/v1/jobs/{jid}", body={"city": "Durban", "budget": None}, caller=c).json)
    print(call_route("GET", "/v1/jobs", query="city=cape%20town&category=plumbing&limit=1", caller=c).json)
    print(call_route("GET", "/v1/jobs", query="city=durban", caller=c).json)
    print(call_route("POST", f"/v1/jobs/{jid}/cancel", caller=c).json)
    print(call_route("POST", f"/v1/jobs/{jid}/cancel", caller=c).json)
    print(call_route("GET", "/v1/me/jobs", caller=c).json)
    assert 0
