//! The Partner Center emulator's traps over HTTP (vendor-apis.md §8 "Partner Center"): what
//! the adapter must cope with, checked on the wire the way a client sees it.

use serde_json::{Value, json};

use super::partnercenter::vendor;

struct Pc {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Pc {
    async fn new(url: &str) -> Self {
        let http = reqwest::Client::new();
        let answer: Value = http
            .post(format!("{url}/partner.onmicrosoft.com/oauth2/token"))
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", "app"),
                ("client_secret", "app-secret-123456"),
                ("resource", "https://api.partnercenter.microsoft.com"),
            ])
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .json()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let token = answer["access_token"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert!(!token.is_empty(), "{answer:#}");
        Self {
            http,
            base: format!("{url}/pc"),
            token,
        }
    }

    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        request_id: &str,
        body: Option<Value>,
    ) -> (u16, reqwest::header::HeaderMap, Value) {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .header("MS-RequestId", request_id)
            .header("MS-CorrelationId", "c0ffee00-0000-4000-8000-000000000001");
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.unwrap_or_else(|e| panic!("{e}"));
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let bytes = resp.bytes().await.unwrap_or_default();
        (
            status,
            headers,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }
}

fn customer(domain: &str) -> Value {
    json!({
        "companyProfile": {"domain": domain, "companyName": "Acme"},
        "billingProfile": {"email": "a@acme.example", "culture": "en-US", "language": "en",
            "companyName": "Acme", "firstName": "Ada", "lastName": "Acme",
            "defaultAddress": {"addressLine1": "1 Main St", "city": "Dayton", "state": "OH",
                "postalCode": "45402", "country": "US"}},
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn the_emulator_reproduces_partner_centers_traps() {
    use reqwest::Method;
    let v = vendor().await;
    let pc = Pc::new(&v.sb.url()).await;
    let domain = "acme.onmicrosoft.com";

    // HEAD is inverted: 404 = free.
    let (status, headers, _) = pc
        .send(Method::HEAD, &format!("/v1/domains/{domain}"), "r-0", None)
        .await;
    assert_eq!(status, 404);
    assert_eq!(headers["ms-requestid"], "r-0", "echoed");
    assert_eq!(
        headers["ms-correlationid"],
        "c0ffee00-0000-4000-8000-000000000001"
    );
    assert!(headers.contains_key("ms-cv"));

    // Create, then a replay of the same MS-RequestId: the same customer, no password.
    let (status, _, first) = pc
        .send(Method::POST, "/v1/customers", "r-1", Some(customer(domain)))
        .await;
    assert_eq!(status, 201, "{first:#}");
    assert!(
        first["userCredentials"]["password"].is_string(),
        "{first:#}"
    );
    let (status, _, replay) = pc
        .send(Method::POST, "/v1/customers", "r-1", Some(customer(domain)))
        .await;
    assert_eq!(status, 201);
    assert_eq!(replay["id"], first["id"]);
    assert!(
        replay.get("userCredentials").is_none(),
        "the password is not repeated: {replay:#}"
    );
    // A new request id with the taken domain fails, in Partner Center's error shape.
    let (status, _, taken) = pc
        .send(Method::POST, "/v1/customers", "r-2", Some(customer(domain)))
        .await;
    assert_eq!(status, 409);
    for field in ["code", "description", "data", "source"] {
        assert!(taken.get(field).is_some(), "{field}: {taken:#}");
    }
    let (status, _, _) = pc
        .send(Method::HEAD, &format!("/v1/domains/{domain}"), "r-3", None)
        .await;
    assert_eq!(status, 200, "taken now");

    // Not usable for a moment after the create (the default is 30 s nominal; make it long).
    let id = first["id"].as_str().unwrap_or_default().to_owned();
    crate::sandbox::Client::new(&v.sb)
        .post(
            "/sandbox/pc/settings",
            &json!({"usableAfterSeconds": 1_000_000_000u64}),
        )
        .await;
    let (_, _, slow) = pc
        .send(
            Method::POST,
            "/v1/customers",
            "r-4",
            Some(customer("slow.onmicrosoft.com")),
        )
        .await;
    let slow_id = slow["id"].as_str().unwrap_or_default();
    let (status, _, missing) = pc
        .send(
            Method::GET,
            &format!("/v1/customers/{slow_id}"),
            "r-5",
            None,
        )
        .await;
    assert_eq!((status, missing["code"].as_str()), (404, Some("60003")));

    // An order before the MCA attestation: 403 13605.
    let order = json!({"lineItems": [{"lineItemNumber": 0, "offerId": "O-1", "quantity": 1}]});
    let (status, _, refused) = pc
        .send(
            Method::POST,
            &format!("/v1/customers/{id}/orders"),
            "r-6",
            Some(order.clone()),
        )
        .await;
    assert_eq!(
        (status, refused["code"].as_str()),
        (403, Some("13605")),
        "{refused:#}"
    );
    let (_, _, templates) = pc
        .send(
            Method::GET,
            "/v1/agreements?agreementType=MicrosoftCustomerAgreement",
            "r-7",
            None,
        )
        .await;
    let template = templates["items"][0]["templateId"].clone();
    let (status, _, _) = pc
        .send(Method::POST, &format!("/v1/customers/{id}/agreements"), "r-8", Some(json!({
            "primaryContact": {"firstName": "Ada", "lastName": "Acme", "email": "a@acme.example"},
            "templateId": template, "dateAgreed": "2026-12-03T10:00:00Z", "type": "MicrosoftCustomerAgreement"})))
        .await;
    assert_eq!(status, 201);
    // Pending, then a second order while it is: 409 800060.
    crate::sandbox::Client::new(&v.sb)
        .post(
            "/sandbox/pc/settings",
            &json!({"orderSeconds": 1_000_000_000u64}),
        )
        .await;
    let (status, _, placed) = pc
        .send(
            Method::POST,
            &format!("/v1/customers/{id}/orders"),
            "r-9",
            Some(order.clone()),
        )
        .await;
    assert_eq!(
        (status, placed["status"].as_str()),
        (201, Some("pending")),
        "{placed:#}"
    );
    let (status, _, busy) = pc
        .send(
            Method::POST,
            &format!("/v1/customers/{id}/orders"),
            "r-10",
            Some(order),
        )
        .await;
    assert_eq!((status, busy["code"].as_str()), (409, Some("800060")));

    // Throttled lists: 429, Retry-After and {statusCode, message}.
    crate::sandbox::Client::new(&v.sb)
        .post("/sandbox/pc/settings", &json!({"throttleLists": 1}))
        .await;
    let (status, headers, body) = pc
        .send(Method::GET, "/v1/customers?size=1", "r-11", None)
        .await;
    assert_eq!(status, 429);
    assert!(headers.contains_key("retry-after"));
    assert_eq!(body["statusCode"], 429);
    // Paging: links.next carries the MS-ContinuationToken of the next page.
    crate::sandbox::Client::new(&v.sb)
        .post(
            "/sandbox/pc/customers",
            &json!({"domain": "b.onmicrosoft.com", "companyName": "B"}),
        )
        .await;
    let (status, _, page) = pc
        .send(Method::GET, "/v1/customers?size=1", "r-12", None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(page["items"].as_array().map(Vec::len), Some(1));
    let next = &page["links"]["next"]["headers"][0];
    assert_eq!(next["key"], "MS-ContinuationToken", "{page:#}");
}
