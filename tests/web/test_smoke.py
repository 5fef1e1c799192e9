def test_login_page_is_chinese_by_default(client):
    r = client.get("/login")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert 'lang="zh-CN"' in html


def test_login_and_home(client, make_user):
    user = make_user("admin")
    client.login(user)
    r = client.get("/")
    assert r.status_code == 200


def test_wrong_password(client, make_user):
    user = make_user("technician")
    token = client.csrf("/login")
    r = client.post("/login", data={"username": user.username, "password": "nope-nope", "csrf_token": token})
    assert r.status_code == 200
    assert "/login" in r.request.path
