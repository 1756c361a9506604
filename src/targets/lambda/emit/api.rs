//! A tenant's HTTP API for its public services (its stage throttled to
//! what the tenant's functions serve, an alarm on server errors), and each
//! service's integration, routes and invoke permission.

use super::*;
use crate::targets::lambda::copy::Throttle;

const ACCESS_LOG_FORMAT: &str = r#"{"requestId":"$context.requestId","ip":"$context.identity.sourceIp","requestTime":"$context.requestTime","httpMethod":"$context.httpMethod","routeKey":"$context.routeKey","status":"$context.status","protocol":"$context.protocol","responseLength":"$context.responseLength","integrationError":"$context.integrationErrorMessage"}"#;

impl<R: Resolve, O: Out> Emitter<'_, '_, R, O> {
    /// One HTTP API per tenant for its public services: `$default` stage
    /// with access logs and default route throttling; the services add
    /// their integrations and routes.
    pub(super) fn http_api(&mut self, scope: &Scope, api: &str, throttle: Throttle) {
        let api_name = names::http_api(&scope.base());
        let description = format!(
            "Public services of {}{}",
            self.v.model.app.name, scope.for_tenant
        );
        self.resource(
            api,
            &scope.path(&["HttpApi", "Resource"]),
            "AWS::ApiGatewayV2::Api",
            None,
            &NO_SKIPS,
            |p| {
                p.field("Name").plain(&api_name);
                p.field("Description").str(&description);
                p.field("ProtocolType").str("HTTP");
                p.field("Tags").raw(&scope.tag_map);
            },
        );
        let logs = self.log_group(scope, &scope.path(&["HttpApi", "AccessLogs", "Resource"]));
        self.add(
            &scope.path(&["HttpApi", "DefaultStage", "Resource"]),
            "AWS::ApiGatewayV2::Stage",
            None,
            &NO_SKIPS,
            |p| {
                Ref::Id(api).write(p.field("ApiId"));
                p.field("StageName").str("$default");
                p.field("AutoDeploy").bool(true);
                p.field("AccessLogSettings").object(|o| {
                    Ref::GetAtt(&logs, "Arn").write(o.field("DestinationArn"));
                    o.field("Format").str(ACCESS_LOG_FORMAT);
                });
                p.field("DefaultRouteSettings").object(|o| {
                    o.field("ThrottlingBurstLimit").u64(throttle.burst);
                    o.field("ThrottlingRateLimit").u64(throttle.rate);
                });
                p.field("Tags").raw(&scope.tag_map);
            },
        );
        self.alarm(
            scope,
            &scope.path(&["HttpApi", "ServerErrorsAlarm", "Resource"]),
            &format!("Server errors (5xx) from HTTP API {api_name}"),
            &Metric {
                alarm: &crate::aws::alarms::API_5XX,
                value: Val::Ref(Ref::Id(api)),
            },
        );
        self.output(
            &scope.path(&["HttpApi", "Url"]),
            &format!("URL of the HTTP API{}", scope.for_tenant),
            &Ref::GetAtt(api, "ApiEndpoint"),
        );
    }

    /// A public service's integration with its tenant's HTTP API, its
    /// routes, and API Gateway's permission to invoke it.
    pub(super) fn api_routes(&mut self, scope: &Scope, s: &Service, function: &str) {
        let Some(api_unit) = scope.api_unit() else {
            return;
        };
        let Kind::HttpApi { id: api_id, .. } = &self.v.copy.units[api_unit].kind else {
            return;
        };
        let api = self.to(api_unit, api_id, None);
        let cid = construct_id(s.name.as_str());
        let integration = self.add(
            &scope.path(&[&cid, "HttpIntegration", "Resource"]),
            "AWS::ApiGatewayV2::Integration",
            None,
            &NO_SKIPS,
            |p| {
                api.write(p.field("ApiId"));
                p.field("IntegrationType").str("AWS_PROXY");
                Ref::GetAtt(function, "Arn").write(p.field("IntegrationUri"));
                p.field("PayloadFormatVersion").str("2.0");
            },
        );
        for (route_cid, route_key) in route_keys(&s.routes) {
            self.add(
                &scope.path(&[&cid, &route_cid, "Resource"]),
                "AWS::ApiGatewayV2::Route",
                None,
                &ROUTE_SKIPS,
                |p| {
                    api.write(p.field("ApiId"));
                    p.field("RouteKey").str(&route_key);
                    p.field("AuthorizationType").str("NONE");
                    join(
                        p.field("Target"),
                        &[
                            Part::Text("integrations/"),
                            Part::Ref(Ref::Id(&integration)),
                        ],
                    );
                },
            );
        }
        self.add(
            &scope.path(&[&cid, "HttpApiPermission", "Resource"]),
            "AWS::Lambda::Permission",
            None,
            &NO_SKIPS,
            |p| {
                p.field("Action").str("lambda:InvokeFunction");
                Ref::GetAtt(function, "Arn").write(p.field("FunctionName"));
                p.field("Principal").str("apigateway.amazonaws.com");
                arn(
                    p.field("SourceArn"),
                    "execute-api",
                    &[Part::Ref(api.clone()), Part::Text("/*/*")],
                );
            },
        );
    }
}

/// Construct IDs and route keys: `/` -> `$default` (everything no other
/// route takes); `/api` -> `ANY /api` and `ANY /api/{proxy+}`. Routes are
/// numbered in the blueprint's order.
pub fn route_keys(routes: &[String]) -> Vec<(String, String)> {
    let mut keys = Vec::new();
    for (i, r) in routes.iter().enumerate() {
        let n = i + 1;
        let prefix = r.trim_end_matches('/');
        if prefix.is_empty() {
            keys.push((format!("Route{n}Default"), "$default".to_string()));
        } else {
            keys.push((format!("Route{n}Exact"), format!("ANY {prefix}")));
            keys.push((format!("Route{n}Proxy"), format!("ANY {prefix}/{{proxy+}}")));
        }
    }
    keys
}
