//! CloudFormation JSON templates: resources by logical ID, and the access
//! each grants (policy documents, managed policies, Lambda permissions, API
//! routes, function URLs, security-group ingress, public load balancers).

use super::{one_or_many, policy, show, Access, Inventory};
use serde_json::Value;

/// `Ok(None)` for JSON that is not a template (no `Resources` map).
pub fn inventory(text: &str) -> Result<Option<Inventory>, String> {
    let doc: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let Some(resources) = doc.get("Resources").and_then(Value::as_object) else {
        return Ok(None);
    };
    let mut inv = Inventory::default();
    for (id, r) in resources {
        let ty = r.get("Type").and_then(Value::as_str).unwrap_or("");
        let props = r.get("Properties").cloned().unwrap_or(Value::Null);
        let address = format!("{id} ({ty})");
        policy::grants(&props, &address, &mut inv);
        grants(ty, &address, &props, &mut inv);
        inv.resources.insert(address, r.clone());
    }
    Ok(Some(inv))
}

fn grants(ty: &str, address: &str, p: &Value, inv: &mut Inventory) {
    let get = |k: &str| p.get(k).map(show).unwrap_or_default();
    match ty {
        "AWS::IAM::Role" | "AWS::IAM::User" | "AWS::IAM::Group" => {
            for arn in one_or_many(p.get("ManagedPolicyArns")) {
                inv.grant(
                    address,
                    Access::Iam,
                    format!("attach managed policy {}", show(arn)),
                );
            }
        }
        "AWS::Lambda::Permission" => inv.grant(
            address,
            Access::Iam,
            format!(
                "{} may {} on {}{}",
                get("Principal"),
                get("Action"),
                get("FunctionName"),
                p.get("SourceArn")
                    .map(|s| format!(" from {}", show(s)))
                    .unwrap_or_default()
            ),
        ),
        "AWS::ApiGatewayV2::Route" => inv.grant(
            address,
            Access::Public,
            format!(
                "route {} (authorization {})",
                get("RouteKey"),
                p.get("AuthorizationType")
                    .map(show)
                    .unwrap_or_else(|| "NONE".into())
            ),
        ),
        "AWS::ApiGateway::Method" => inv.grant(
            address,
            Access::Public,
            format!(
                "method {} on {} (authorization {})",
                get("HttpMethod"),
                get("ResourceId"),
                p.get("AuthorizationType")
                    .map(show)
                    .unwrap_or_else(|| "NONE".into())
            ),
        ),
        "AWS::Lambda::Url" if get("AuthType") == "NONE" => {
            inv.grant(
                address,
                Access::Public,
                "function URL without authorization",
            );
        }
        "AWS::ElasticLoadBalancingV2::LoadBalancer" if get("Scheme") != "internal" => {
            inv.grant(address, Access::Public, "internet-facing load balancer");
        }
        "AWS::EC2::SecurityGroupIngress" => ingress(p, address, inv),
        "AWS::EC2::SecurityGroup" => {
            for rule in one_or_many(p.get("SecurityGroupIngress")) {
                ingress(rule, address, inv);
            }
        }
        _ => {}
    }
}

fn ingress(r: &Value, address: &str, inv: &mut Inventory) {
    let proto = r.get("IpProtocol").map(show).unwrap_or_default();
    let ports = super::hcl::ports(&proto, r.get("FromPort"), r.get("ToPort"));
    let from = [
        "CidrIp",
        "CidrIpv6",
        "SourceSecurityGroupId",
        "SourcePrefixListId",
    ]
    .iter()
    .find_map(|k| r.get(*k).map(show))
    .unwrap_or_else(|| "nowhere listed".to_string());
    let into = r
        .get("GroupId")
        .map(|g| format!(" into {}", show(g)))
        .unwrap_or_default();
    inv.grant(
        address,
        Access::Network,
        format!("ingress {ports}{into} from {from}"),
    );
}
