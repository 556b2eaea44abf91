//! The item's menu: built from the [`View`] (pure), served as `com.canonical.dbusmenu` at
//! `/MenuBar`. A click ("clicked" event) becomes a [`MenuAction`] for the tray's main loop; the menu
//! itself never talks to the daemon.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use mynawatch::l10n::Lang;
use mynawatch::notify::{guide_label, registration_answers};
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;
use zbus::object_server::SignalEmitter;
use zbus::{fdo, interface, OwnedVariant, Str, Type};

use crate::model::{Registered, View};
use crate::text::{self, Word};

pub const MENU_PATH: &str = "/MenuBar";

/// What a menu entry does when clicked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MenuAction {
    SetRegistered { key: String, registered: bool },
    EnterCardExpiry { key: String, name: String },
    OpenGuide,
    ExportCalendar,
    Refresh,
    Quit,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Standard,
    Separator,
    /// One of a pair of mutually exclusive choices; `on` is the current one.
    Radio {
        on: bool,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub struct Item {
    pub id: i32,
    pub label: String,
    pub enabled: bool,
    pub kind: Kind,
    pub children: Vec<Item>,
    pub action: Option<MenuAction>,
}

/// What this machine offers beyond D-Bus (found at start-up).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Capabilities {
    /// `zenity` is installed: the date is picked in its calendar dialog.
    pub date_dialog: bool,
    /// The `mynawatch` command of this version has `calendar` (else the entry says it is missing).
    pub calendar: bool,
}

struct Builder {
    next: i32,
}

impl Builder {
    fn item(&mut self, label: impl Into<String>, action: Option<MenuAction>) -> Item {
        self.next += 1;
        Item {
            id: self.next,
            label: label.into(),
            enabled: action.is_some(),
            kind: Kind::Standard,
            children: Vec::new(),
            action,
        }
    }

    fn separator(&mut self) -> Item {
        Item {
            kind: Kind::Separator,
            ..self.item("", None)
        }
    }

    fn radio(&mut self, label: &str, on: bool, action: MenuAction) -> Item {
        Item {
            kind: Kind::Radio { on },
            ..self.item(label, Some(action))
        }
    }
}

/// The menu for `view`: one submenu per card (its next steps, the registration question, the
/// card's printed expiry), then the tray-wide actions. Ids are positions in this tree; a click on
/// an id from an older layout finds whatever is there now, which the layout revision makes rare.
pub fn build(view: &View, caps: Capabilities, lang: Lang) -> Item {
    let mut b = Builder { next: 0 };
    let mut top = Vec::new();
    if !view.daemon_running {
        top.push(b.item(view.tooltip_body.clone(), None));
    }
    for card in &view.cards {
        let mut entry = b.item(card.summary.clone(), None);
        entry.enabled = true;
        for step in &card.steps {
            entry.children.push(b.item(format!("・{step}"), None));
        }
        if card.judged {
            if !entry.children.is_empty() {
                entry.children.push(b.separator());
            }
            let (yes, no) = registration_answers(lang);
            for (label, answer, registered) in
                [(&yes, Registered::Yes, true), (&no, Registered::No, false)]
            {
                entry.children.push(b.radio(
                    label,
                    card.registered == answer,
                    MenuAction::SetRegistered {
                        key: card.key.clone(),
                        registered,
                    },
                ));
            }
            entry.children.push(b.separator());
            entry.children.push(if caps.date_dialog {
                b.item(
                    Word::EnterCardExpiry.text(lang),
                    Some(MenuAction::EnterCardExpiry {
                        key: card.key.clone(),
                        name: card.name.clone(),
                    }),
                )
            } else {
                b.item(text::enter_card_expiry_in_terminal(&card.name, lang), None)
            });
        }
        top.push(entry);
    }
    if !top.is_empty() {
        top.push(b.separator());
    }
    top.push(b.item(guide_label(lang), Some(MenuAction::OpenGuide)));
    if caps.calendar {
        let mut export = b.item(
            Word::ExportCalendar.text(lang),
            Some(MenuAction::ExportCalendar),
        );
        export.enabled = view.daemon_running && !view.cards.is_empty();
        top.push(export);
    } else {
        top.push(b.item(Word::ExportCalendarMissing.text(lang), None));
    }
    top.push(b.item(Word::Refresh.text(lang), Some(MenuAction::Refresh)));
    top.push(b.separator());
    top.push(b.item(Word::Quit.text(lang), Some(MenuAction::Quit)));
    Item {
        id: 0,
        label: String::new(),
        enabled: true,
        kind: Kind::Standard,
        children: top,
        action: None,
    }
}

impl Item {
    pub fn find(&self, id: i32) -> Option<&Item> {
        if self.id == id {
            return Some(self);
        }
        self.children.iter().find_map(|c| c.find(id))
    }

    fn all(&self) -> Vec<&Item> {
        let mut out = vec![self];
        for c in &self.children {
            out.extend(c.all());
        }
        out
    }

    /// The dbusmenu properties, leaving out those at their defaults as the spec suggests.
    fn properties(&self, names: &[String]) -> HashMap<String, OwnedVariant> {
        let mut p: HashMap<String, OwnedVariant> = HashMap::new();
        let s = |v: &str| OwnedVariant::from(Str::from(v.to_owned()));
        match self.kind {
            Kind::Separator => {
                p.insert("type".into(), s("separator"));
            }
            Kind::Standard | Kind::Radio { .. } if self.id != 0 => {
                // "_" marks a mnemonic in dbusmenu labels; a label's own underscores are doubled.
                p.insert("label".into(), s(&self.label.replace('_', "__")));
            }
            Kind::Standard | Kind::Radio { .. } => {}
        }
        if !self.enabled && self.kind != Kind::Separator {
            p.insert("enabled".into(), OwnedVariant::from(false));
        }
        if let Kind::Radio { on } = self.kind {
            p.insert("toggle-type".into(), s("radio"));
            p.insert("toggle-state".into(), OwnedVariant::from(i32::from(on)));
        }
        if !self.children.is_empty() {
            p.insert("children-display".into(), s("submenu"));
        }
        if !names.is_empty() {
            p.retain(|k, _| names.iter().any(|n| n == k));
        }
        p
    }

    fn layout(&self, depth: i32, names: &[String]) -> Layout {
        let children = if depth == 0 {
            Vec::new()
        } else {
            self.children
                .iter()
                .map(|c| {
                    OwnedVariant::try_from(c.layout(depth - 1, names))
                        .expect("a layout is a plain structure")
                })
                .collect()
        };
        Layout {
            id: self.id,
            properties: self.properties(names),
            children,
        }
    }
}

/// `(ia{sv}av)`: an item, its properties and its children (each a variant holding a layout).
#[derive(Clone, Debug, Serialize, Deserialize, Type, zbus::Variant, zbus::OwnedVariant)]
pub struct Layout {
    pub id: i32,
    pub properties: HashMap<String, OwnedVariant>,
    pub children: Vec<OwnedVariant>,
}

struct State {
    root: Item,
    revision: u32,
}

/// The served menu. Clones share the tree; [`Menu::set`] replaces it and emits `LayoutUpdated`.
#[derive(Clone)]
pub struct Menu {
    state: Arc<Mutex<State>>,
    clicks: mpsc::UnboundedSender<MenuAction>,
}

impl Menu {
    pub fn new(root: Item, clicks: mpsc::UnboundedSender<MenuAction>) -> Menu {
        Menu {
            state: Arc::new(Mutex::new(State { root, revision: 1 })),
            clicks,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Replace the tree; returns the new revision when it changed (the caller emits the signal).
    pub fn set(&self, root: Item) -> Option<u32> {
        let mut st = self.lock();
        if st.root == root {
            return None;
        }
        st.root = root;
        st.revision += 1;
        Some(st.revision)
    }

    fn click(&self, id: i32) -> bool {
        let action =
            self.lock()
                .root
                .find(id)
                .and_then(|i| if i.enabled { i.action.clone() } else { None });
        match action {
            Some(a) => {
                tracing::debug!(id, ?a, "menu click");
                let _ = self.clicks.send(a);
                true
            }
            None => false,
        }
    }
}

#[interface(name = "com.canonical.dbusmenu")]
impl Menu {
    async fn get_layout(
        &self,
        parent_id: i32,
        recursion_depth: i32,
        property_names: Vec<String>,
    ) -> fdo::Result<(u32, Layout)> {
        let st = self.lock();
        let item = st
            .root
            .find(parent_id)
            .ok_or_else(|| fdo::Error::InvalidArgs(format!("no menu item {parent_id}")))?;
        Ok((st.revision, item.layout(recursion_depth, &property_names)))
    }

    async fn get_group_properties(
        &self,
        ids: Vec<i32>,
        property_names: Vec<String>,
    ) -> Vec<(i32, HashMap<String, OwnedVariant>)> {
        let st = self.lock();
        st.root
            .all()
            .into_iter()
            .filter(|i| ids.is_empty() || ids.contains(&i.id))
            .map(|i| (i.id, i.properties(&property_names)))
            .collect()
    }

    async fn get_property(&self, id: i32, name: String) -> fdo::Result<OwnedVariant> {
        let st = self.lock();
        let item = st
            .root
            .find(id)
            .ok_or_else(|| fdo::Error::InvalidArgs(format!("no menu item {id}")))?;
        item.properties(std::slice::from_ref(&name))
            .remove(&name)
            .ok_or_else(|| fdo::Error::InvalidArgs(format!("no property {name:?} on item {id}")))
    }

    async fn event(&self, id: i32, event_id: String, _data: OwnedVariant, _timestamp: u32) {
        if event_id == "clicked" {
            self.click(id);
        }
    }

    /// Returns the ids that were not found.
    async fn event_group(&self, events: Vec<(i32, String, OwnedVariant, u32)>) -> Vec<i32> {
        let mut missing = Vec::new();
        for (id, event_id, _, _) in events {
            if self.lock().root.find(id).is_none() {
                missing.push(id);
            } else if event_id == "clicked" {
                self.click(id);
            }
        }
        missing
    }

    /// The menu is always current: nothing to update before it opens.
    async fn about_to_show(&self, _id: i32) -> bool {
        false
    }

    async fn about_to_show_group(&self, _ids: Vec<i32>) -> (Vec<i32>, Vec<i32>) {
        (Vec::new(), Vec::new())
    }

    #[zbus(property)]
    fn version(&self) -> u32 {
        3
    }

    #[zbus(property)]
    fn text_direction(&self) -> &str {
        "ltr"
    }

    #[zbus(property)]
    fn status(&self) -> &str {
        "normal"
    }

    #[zbus(property)]
    fn icon_theme_path(&self) -> Vec<String> {
        Vec::new()
    }

    #[zbus(signal)]
    pub async fn layout_updated(
        emitter: &SignalEmitter<'_>,
        revision: u32,
        parent: i32,
    ) -> zbus::Result<()>;

    #[zbus(signal)]
    pub async fn items_properties_updated(
        emitter: &SignalEmitter<'_>,
        updated: Vec<(i32, HashMap<String, OwnedVariant>)>,
        removed: Vec<(i32, Vec<String>)>,
    ) -> zbus::Result<()>;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{view, DaemonState};
    use mynawatch::dbus::client::{CardView, Snapshot};

    fn one_card(registered: &str) -> View {
        view(
            &DaemonState::Running(Snapshot {
                reader_states: Vec::new(),
                version: "0".into(),
                readers: vec![],
                cards: vec![CardView {
                    key: "0123".into(),
                    label: "母".into(),
                    status: "renewal-open".into(),
                    days_left: 50,
                    insurance_registered: registered.into(),
                    ..CardView::default()
                }],
            }),
            Lang::En,
        )
    }

    fn labels(i: &Item) -> Vec<String> {
        i.children.iter().map(|c| c.label.clone()).collect()
    }

    #[test]
    fn one_submenu_per_card_then_the_actions() {
        let m = build(
            &one_card("yes"),
            Capabilities {
                date_dialog: true,
                calendar: true,
            },
            Lang::En,
        );
        let top = labels(&m);
        assert!(top[0].starts_with("母: renewal open"), "{top:?}");
        assert_eq!(
            &top[1..],
            [
                "",
                "Open guide",
                "Export to calendar",
                "Check now",
                "",
                "Quit tray"
            ]
        );
        let card = &m.children[0];
        let yes = &card.children[0];
        assert_eq!(yes.kind, Kind::Radio { on: true });
        assert_eq!(
            yes.action,
            Some(MenuAction::SetRegistered {
                key: "0123".into(),
                registered: true
            })
        );
        assert_eq!(card.children[1].kind, Kind::Radio { on: false });
        let date = card.children.last().unwrap();
        assert!(date.enabled, "{date:?}");
        let ids: Vec<i32> = m.all().iter().map(|i| i.id).collect();
        let mut unique = ids.clone();
        unique.dedup();
        assert_eq!(ids, unique);
    }

    #[test]
    fn without_zenity_the_date_entry_explains_the_command() {
        let m = build(
            &one_card("unknown"),
            Capabilities {
                date_dialog: false,
                calendar: false,
            },
            Lang::Ja,
        );
        let date = m.children[0].children.last().unwrap();
        assert!(!date.enabled);
        assert!(date.label.contains("mynawatch card-expires 母"), "{date:?}");
        let export = m
            .children
            .iter()
            .find(|i| i.label.starts_with("カレンダーに書き出す"))
            .expect("the calendar entry");
        assert!(
            !export.enabled && export.label.contains("まだ"),
            "{export:?}"
        );
        assert_eq!(m.children[0].children[0].kind, Kind::Radio { on: false });
        assert_eq!(m.children[0].children[1].kind, Kind::Radio { on: false });
    }

    #[test]
    fn layout_properties_follow_the_spec() {
        let m = build(
            &one_card("no"),
            Capabilities {
                date_dialog: true,
                calendar: true,
            },
            Lang::En,
        );
        let card = &m.children[0];
        let p = card.properties(&[]);
        assert_eq!(
            p.get("children-display").map(|v| v.to_string()),
            Some("\"submenu\"".into())
        );
        let sep = &m.children[1];
        assert!(sep.properties(&[]).contains_key("type"));
        assert!(!sep.properties(&[]).contains_key("label"));
        let only = card.properties(&["label".into()]);
        assert_eq!(only.len(), 1);
        let layout = m.layout(1, &[]);
        assert_eq!(layout.children.len(), m.children.len());
        let child = Layout::try_from(layout.children[0].clone()).unwrap();
        assert!(
            child.children.is_empty(),
            "depth 1 stops at the first level"
        );
    }
}
