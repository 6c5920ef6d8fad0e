def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}


def test_home_lists_items(client, make):
    item = make.item(name="Ube Pandesal")
    response = client.get("/")
    assert response.status_code == 200
    assert f'href="/items/{item.slug}"' in response.get_data(as_text=True)
