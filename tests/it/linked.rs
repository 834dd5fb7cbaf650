//! A property test of the linked stores: random creates, updates and deletes across the four
//! resources, run on a workspace and on a plain model of the links, agree after every step,
//! and no reference the server maintains ever dangles.

use convmock::Fixtures;
use convmock::model::RawValue;
use convmock::resources::{Contact, Conversation, Group, Message, Owned, Patch, Record};
use convmock::workspace::{Held, Room, Workspace};
use proptest::prelude::*;

/// One step, its indexes taken modulo what exists when it runs.
#[derive(Clone, Debug)]
enum Step {
    CreateContact,
    CreateGroup(Vec<usize>),
    CreateConversation(usize),
    Send(usize),
    Pin(usize, usize),
    SetMembers(usize, Vec<usize>),
    DeleteContact(usize),
    DeleteGroup(usize),
    DeleteConversation(usize),
    DeleteMessage(usize),
}

fn step() -> impl Strategy<Value = Step> {
    let members = proptest::collection::vec(0usize..8, 0..4);
    prop_oneof![
        3 => Just(Step::CreateContact),
        2 => members.clone().prop_map(Step::CreateGroup),
        1 => (0usize..16).prop_map(Step::CreateConversation),
        4 => (0usize..16).prop_map(Step::Send),
        2 => (0usize..16, 0usize..32).prop_map(|(c, m)| Step::Pin(c, m)),
        1 => (0usize..8, members).prop_map(|(g, m)| Step::SetMembers(g, m)),
        1 => (0usize..8).prop_map(Step::DeleteContact),
        1 => (0usize..8).prop_map(Step::DeleteGroup),
        1 => (0usize..16).prop_map(Step::DeleteConversation),
        2 => (0usize..32).prop_map(Step::DeleteMessage),
    ]
}

/// A conversation in the model: its ID, contact, group and pinned message.
type Linked = (String, Option<String>, Option<String>, Option<String>);

/// The links, kept the simplest way: vectors in creation order.
#[derive(Debug, Default)]
struct Model {
    contacts: Vec<String>,
    /// (group, members).
    groups: Vec<(String, Vec<String>)>,
    /// (conversation, contact, group, pinned message).
    conversations: Vec<Linked>,
    /// (message, conversation).
    messages: Vec<(String, String)>,
}

impl Model {
    fn delete_conversation(&mut self, id: &str) {
        self.conversations.retain(|c| c.0 != id);
        self.messages.retain(|m| m.1 != id);
    }

    fn delete_message(&mut self, id: &str) {
        self.messages.retain(|m| m.0 != id);
        for c in &mut self.conversations {
            if c.3.as_deref() == Some(id) {
                c.3 = None;
            }
        }
    }
}

fn field<R: Record>(name: &str) -> usize {
    R::DESCRIPTION
        .field(name)
        .expect("a field of the resource")
        .0
}

fn text<R: Record>(name: &str, value: &str) -> (usize, Owned) {
    (field::<R>(name), Owned::Text(Some(value.into())))
}

fn members(ids: &[String]) -> (usize, Owned) {
    let raw = RawValue::Json(serde_json::json!(ids));
    let (_, f) = Group::DESCRIPTION.field("contacts").unwrap();
    let value = convmock::model::field_value(f, convmock::model::Null::Refused, &raw).unwrap();
    (field::<Group>("contacts"), value)
}

fn create<R: Held>(ws: &mut Workspace, patch: Vec<(usize, Owned)>, now: i64) -> String {
    ws.create::<R>(&Patch(patch), now, Room::UNBOUNDED, false)
        .expect("a valid create")
        .id()
        .to_owned()
}

fn ids<R: Held>(ws: &Workspace) -> Vec<String> {
    let mut ids: Vec<String> = ws.store::<R>().iter().map(|r| r.id().to_owned()).collect();
    ids.sort();
    ids
}

fn sorted(mut ids: Vec<String>) -> Vec<String> {
    ids.sort();
    ids
}

/// Every link the model holds is the workspace's, and none of the server's dangles.
fn agree(ws: &Workspace, model: &Model) {
    assert_eq!(ids::<Contact>(ws), sorted(model.contacts.clone()));
    assert_eq!(
        ids::<Group>(ws),
        sorted(model.groups.iter().map(|g| g.0.clone()).collect())
    );
    assert_eq!(
        ids::<Conversation>(ws),
        sorted(model.conversations.iter().map(|c| c.0.clone()).collect())
    );
    assert_eq!(
        ids::<Message>(ws),
        sorted(model.messages.iter().map(|m| m.0.clone()).collect())
    );
    for (id, expected) in &model.groups {
        let group = ws.store::<Group>().get(id).unwrap();
        let got: Vec<&str> = group.contacts.iter().map(|c| &*c.id).collect();
        assert_eq!(got, *expected, "members of {id}");
        for member in &group.contacts {
            let contact = ws.store::<Contact>().get(&member.id).unwrap();
            assert_eq!(member.username, contact.username);
        }
    }
    for (id, contact, group, pinned) in &model.conversations {
        let c = ws.store::<Conversation>().get(id).unwrap();
        assert_eq!(
            (&c.contact_id, &c.group_id),
            (
                &contact.as_deref().map(Into::into),
                &group.as_deref().map(Into::into)
            )
        );
        assert_eq!(
            c.pinned_message_id.as_deref(),
            pinned.as_deref(),
            "pin of {id}"
        );
    }
    for m in ws.store::<Message>().iter() {
        assert!(ws.store::<Conversation>().contains(&m.conversation_id));
    }
    for c in ws.store::<Contact>().iter() {
        if let Some(conversation) = &c.conversation_id {
            let named = ws.store::<Conversation>().get(conversation).unwrap();
            assert_eq!(named.contact_id.as_deref(), Some(c.id()));
        }
    }
    for g in ws.store::<Group>().iter() {
        if let Some(conversation) = &g.conversation_id {
            let named = ws.store::<Conversation>().get(conversation).unwrap();
            assert_eq!(named.group_id.as_deref(), Some(g.id()));
        }
    }
    // List order: created_at descending, whatever the cascades removed.
    let times: Vec<i64> = ws.store::<Message>().iter().map(|m| m.created_at).collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "{times:?}");
    // The memory the workspace counts toward --max-workspace-mib is what its records take,
    // through every cascade.
    fn weighed<R: Held>(ws: &Workspace) -> usize {
        let store = ws.store::<R>();
        store.iter().map(|r| store.weigh(r)).sum()
    }
    let recounted = weighed::<Conversation>(ws)
        + weighed::<Contact>(ws)
        + weighed::<Group>(ws)
        + weighed::<Message>(ws);
    assert_eq!(ws.bytes(), recounted);
}

fn pick<T>(items: &[T], i: usize) -> Option<&T> {
    (!items.is_empty()).then(|| &items[i % items.len()])
}

/// The contacts `picks` name, each once, in order.
fn choose(contacts: &[String], picks: &[usize]) -> Vec<String> {
    let mut chosen: Vec<String> = Vec::new();
    for i in picks {
        if let Some(c) = pick(contacts, *i)
            && !chosen.contains(c)
        {
            chosen.push(c.clone());
        }
    }
    chosen
}

fn run(ws: &mut Workspace, model: &mut Model, step: &Step, now: i64) {
    match step {
        Step::CreateContact => {
            let id = create::<Contact>(
                ws,
                vec![
                    text::<Contact>("username", "u"),
                    text::<Contact>("phone_number", "1"),
                ],
                now,
            );
            let conversation = ws
                .store::<Contact>()
                .get(&id)
                .unwrap()
                .conversation_id
                .clone();
            model.contacts.push(id.clone());
            model
                .conversations
                .push((conversation.unwrap().into(), Some(id), None, None));
        }
        Step::CreateGroup(picks) => {
            let chosen = choose(&model.contacts, picks);
            let id = create::<Group>(ws, vec![text::<Group>("name", "g"), members(&chosen)], now);
            let conversation = ws
                .store::<Group>()
                .get(&id)
                .unwrap()
                .conversation_id
                .clone();
            model.groups.push((id.clone(), chosen));
            model
                .conversations
                .push((conversation.unwrap().into(), None, Some(id), None));
        }
        Step::CreateConversation(i) => {
            // A free reference: it may name a contact that is gone, or none at all.
            let contact = pick(&model.contacts, *i)
                .cloned()
                .unwrap_or_else(|| "elsewhere".into());
            let id =
                create::<Conversation>(ws, vec![text::<Conversation>("contact_id", &contact)], now);
            model.conversations.push((id, Some(contact), None, None));
        }
        Step::Send(i) => {
            let Some(conversation) = pick(&model.conversations, *i).map(|c| c.0.clone()) else {
                return;
            };
            let id = create::<Message>(
                ws,
                vec![
                    text::<Message>("conversation_id", &conversation),
                    text::<Message>("message", "hi"),
                ],
                now,
            );
            let c = ws.store::<Conversation>().get(&conversation).unwrap();
            assert_eq!(c.last_active_at, Some(now));
            model.messages.push((id, conversation));
        }
        Step::Pin(i, m) => {
            let Some(conversation) = pick(&model.conversations, *i).map(|c| c.0.clone()) else {
                return;
            };
            let Some(message) = pick(&model.messages, *m).map(|m| m.0.clone()) else {
                return;
            };
            let patch = Patch(vec![text::<Conversation>("pinned_message_id", &message)]);
            ws.update::<Conversation>(&conversation, &patch, now, Room::UNBOUNDED, false)
                .unwrap()
                .unwrap();
            let c = model
                .conversations
                .iter_mut()
                .find(|c| c.0 == conversation)
                .unwrap();
            c.3 = Some(message);
        }
        Step::SetMembers(g, picks) => {
            let Some(group) = pick(&model.groups, *g).map(|g| g.0.clone()) else {
                return;
            };
            let chosen = choose(&model.contacts, picks);
            let patch = Patch(vec![members(&chosen)]);
            ws.update::<Group>(&group, &patch, now, Room::UNBOUNDED, false)
                .unwrap()
                .unwrap();
            model.groups.iter_mut().find(|g| g.0 == group).unwrap().1 = chosen;
        }
        Step::DeleteContact(i) => {
            let Some(id) = pick(&model.contacts, *i).cloned() else {
                return;
            };
            assert!(ws.delete::<Contact>(&id));
            model.contacts.retain(|c| *c != id);
            let theirs: Vec<String> = model
                .conversations
                .iter()
                .filter(|c| c.1.as_deref() == Some(&*id))
                .map(|c| c.0.clone())
                .collect();
            for c in theirs {
                model.delete_conversation(&c);
            }
            for g in &mut model.groups {
                g.1.retain(|m| *m != id);
            }
        }
        Step::DeleteGroup(i) => {
            let Some(id) = pick(&model.groups, *i).map(|g| g.0.clone()) else {
                return;
            };
            assert!(ws.delete::<Group>(&id));
            model.groups.retain(|g| g.0 != id);
            let theirs: Vec<String> = model
                .conversations
                .iter()
                .filter(|c| c.2.as_deref() == Some(&*id))
                .map(|c| c.0.clone())
                .collect();
            for c in theirs {
                model.delete_conversation(&c);
            }
        }
        Step::DeleteConversation(i) => {
            let Some(id) = pick(&model.conversations, *i).map(|c| c.0.clone()) else {
                return;
            };
            assert!(ws.delete::<Conversation>(&id));
            model.delete_conversation(&id);
        }
        Step::DeleteMessage(i) => {
            let Some(id) = pick(&model.messages, *i).map(|m| m.0.clone()) else {
                return;
            };
            assert!(ws.delete::<Message>(&id));
            model.delete_message(&id);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn random_steps_across_the_four_resources_keep_every_link(
        steps in proptest::collection::vec((step(), 0i64..3), 1..60),
    ) {
        let mut ws = Workspace::seeded(&Fixtures::empty(), 1);
        let mut model = Model::default();
        let mut now = 1_000;
        for (step, tick) in &steps {
            now += tick;
            run(&mut ws, &mut model, step, now);
            agree(&ws, &model);
        }
    }
}
