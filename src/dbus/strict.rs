//! [`Strict`]: serve an interface so that every method call whose arguments do not match the
//! method's signature is refused with `org.freedesktop.DBus.Error.InvalidArgs` before the method runs.
//!
//! Why: the code zbus generates deserializes the arguments a method declares and ignores the rest,
//! so `Forget("x")` forgot the card and `Refresh("x")` refreshed. The D-Bus specification's answer to
//! a call with the wrong signature is InvalidArgs, and one wrapper gives every method of the served
//! interfaces that answer, including methods added later. The signatures come from the interface's
//! own introspection data, so they cannot drift from what clients are told.

use std::collections::HashMap;

use zbus::message::{Header, Message};
use zbus::names::{InterfaceName, MemberName};
use zbus::object_server::{DispatchResult, Interface, SignalEmitter};
use zbus::{fdo, BoxDBusError, Connection, ObjectServer, OwnedVariant, Signature, Variant};

/// `I`, served with its method calls checked against their signatures first.
pub struct Strict<I> {
    inner: I,
    /// Method name → the signature of its `in` arguments.
    inputs: HashMap<String, Signature>,
}

impl<I: Interface> Strict<I> {
    pub fn new(inner: I) -> Self {
        let mut xml = String::new();
        inner.introspect_to_writer(&mut xml, 0);
        let inputs = method_inputs(&xml)
            .into_iter()
            .map(|(name, sig)| {
                let sig = sig
                    .parse()
                    .expect("zbus introspects valid argument signatures");
                (name, sig)
            })
            .collect();
        Strict { inner, inputs }
    }

    /// The refusal for a call of `name` whose body does not fit, or `None` when it fits (or the
    /// method is unknown: the inner interface answers UnknownMethod).
    fn refusal(&self, msg: &Message, name: &MemberName<'_>) -> Option<fdo::Error> {
        let want = self.inputs.get(name.as_str())?;
        let body = msg.body();
        let got = body.signature();
        (got != want).then(|| {
            fdo::Error::InvalidArgs(format!(
                "{name} takes ({}), not ({})",
                want.to_string_no_parens(),
                got.to_string_no_parens()
            ))
        })
    }
}

/// The `in` argument signature of each `<method>` in zbus's introspection XML (one element per line).
fn method_inputs(xml: &str) -> HashMap<String, String> {
    let attr = |tag: &str, name: &str| -> Option<String> {
        let start = tag.find(&format!(" {name}=\""))? + name.len() + 3;
        Some(tag[start..].split('"').next()?.to_string())
    };
    let mut out = HashMap::new();
    let mut current: Option<String> = None;
    for line in xml.lines().map(str::trim) {
        if line.starts_with("<method ") {
            let name = attr(line, "name").expect("a method has a name");
            out.insert(name.clone(), String::new());
            // `<method name="X"/>`: no arguments, and no closing tag follows.
            current = (!line.ends_with("/>")).then_some(name);
        } else if line.starts_with("</method>") {
            current = None;
        } else if let (Some(method), true) = (&current, line.starts_with("<arg ")) {
            if attr(line, "direction").as_deref() != Some("out") {
                let ty = attr(line, "type").expect("an argument has a type");
                out.get_mut(method).expect("inserted above").push_str(&ty);
            }
        }
    }
    out
}

fn refuse<'a>(err: fdo::Error) -> DispatchResult<'a> {
    DispatchResult::Async(Box::pin(async move { Err(BoxDBusError::from(err)) }))
}

#[zbus::export::async_trait::async_trait]
impl<I: Interface> Interface for Strict<I> {
    fn name() -> InterfaceName<'static> {
        I::name()
    }

    fn spawn_tasks_for_methods(&self) -> bool {
        self.inner.spawn_tasks_for_methods()
    }

    async fn get(
        &self,
        property_name: &str,
        server: &ObjectServer,
        connection: &Connection,
        header: Option<&Header<'_>>,
        emitter: &SignalEmitter<'_>,
    ) -> Option<Result<OwnedVariant, BoxDBusError>> {
        self.inner
            .get(property_name, server, connection, header, emitter)
            .await
    }

    async fn get_all(
        &self,
        object_server: &ObjectServer,
        connection: &Connection,
        header: Option<&Header<'_>>,
        emitter: &SignalEmitter<'_>,
    ) -> fdo::Result<HashMap<String, OwnedVariant>> {
        self.inner
            .get_all(object_server, connection, header, emitter)
            .await
    }

    fn set<'call>(
        &'call self,
        property_name: &'call str,
        value: &'call Variant<'_>,
        object_server: &'call ObjectServer,
        connection: &'call Connection,
        header: Option<&'call Header<'_>>,
        emitter: &'call SignalEmitter<'_>,
    ) -> DispatchResult<'call> {
        self.inner.set(
            property_name,
            value,
            object_server,
            connection,
            header,
            emitter,
        )
    }

    async fn set_mut(
        &mut self,
        property_name: &str,
        value: &Variant<'_>,
        object_server: &ObjectServer,
        connection: &Connection,
        header: Option<&Header<'_>>,
        emitter: &SignalEmitter<'_>,
    ) -> Option<Result<(), BoxDBusError>> {
        self.inner
            .set_mut(
                property_name,
                value,
                object_server,
                connection,
                header,
                emitter,
            )
            .await
    }

    fn call<'call>(
        &'call self,
        server: &'call ObjectServer,
        connection: &'call Connection,
        msg: &'call Message,
        name: MemberName<'call>,
    ) -> DispatchResult<'call> {
        match self.refusal(msg, &name) {
            Some(err) => refuse(err),
            None => self.inner.call(server, connection, msg, name),
        }
    }

    fn call_mut<'call>(
        &'call mut self,
        server: &'call ObjectServer,
        connection: &'call Connection,
        msg: &'call Message,
        name: MemberName<'call>,
    ) -> DispatchResult<'call> {
        match self.refusal(msg, &name) {
            Some(err) => refuse(err),
            None => self.inner.call_mut(server, connection, msg, name),
        }
    }

    fn introspect_to_writer(&self, writer: &mut dyn std::fmt::Write, level: usize) {
        self.inner.introspect_to_writer(writer, level)
    }
}

impl<I> std::ops::Deref for Strict<I> {
    type Target = I;
    fn deref(&self) -> &I {
        &self.inner
    }
}

/// Signatures as text, for tests and logs.
#[cfg(test)]
fn describe(inputs: &HashMap<String, Signature>) -> Vec<String> {
    let mut v: Vec<String> = inputs
        .iter()
        .map(|(m, s)| format!("{m}({})", s.to_string_no_parens()))
        .collect();
    v.sort();
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dbus::{Card, Manager};

    #[test]
    fn the_signatures_are_those_of_the_introspection_data() {
        let (tx, _rx) = tokio::sync::mpsc::channel(1);
        let manager = Strict::new(Manager::new(tx.clone()));
        assert_eq!(describe(&manager.inputs), ["AddCard(a{sv})", "Refresh()"]);
        let card = Strict::new(Card {
            key: crate::card::CardKey::try_from("0".repeat(32)).unwrap(),
            view: Default::default(),
            requests: tx,
        });
        assert_eq!(
            describe(&card.inputs),
            [
                "Forget()",
                "SetCardExpires(s)",
                "SetInsuranceRegistered(b)",
                "SetLabel(s)",
                "SetRegistration(s)"
            ]
        );
    }

    #[test]
    fn methods_without_arguments_and_out_arguments_are_read_right() {
        let xml = r#"<interface name="x">
  <!--
   A doc comment <method name="Fake"> in a comment line does not start a line with "<method ".
   -->
  <method name="None"/>
  <method name="Two">
    <arg name="a" type="s" direction="in"/>
    <arg name="b" type="a{sv}" direction="in"/>
    <arg type="u" direction="out"/>
  </method>
  <method name="Empty">
  </method>
</interface>"#;
        let got = method_inputs(xml);
        assert_eq!(got.len(), 3, "{got:?}");
        assert_eq!(got["None"], "");
        assert_eq!(got["Two"], "sa{sv}");
        assert_eq!(got["Empty"], "");
    }
}
