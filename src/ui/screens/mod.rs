//! The screens. Each is a small type behind [`View`], so the shell that
//! lays out the window knows nothing of what a screen contains.

pub mod checks;
pub mod import;
pub mod new_check;
pub mod review;
pub mod senders;
pub mod settings;
pub mod sources;

use serde::{Deserialize, Serialize};

use crate::engine::Event;
use crate::ui::state::{AppData, Commands, Prefs};

/// The screens, in the order of the navigation bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub enum Screen {
    #[default]
    Checks,
    NewCheck,
    Review,
    Import,
    Sources,
    Senders,
    Settings,
}

impl Screen {
    pub const ALL: [Screen; 7] = [
        Screen::Checks,
        Screen::NewCheck,
        Screen::Review,
        Screen::Import,
        Screen::Sources,
        Screen::Senders,
        Screen::Settings,
    ];

    /// The navigation label.
    pub fn title(self) -> &'static str {
        match self {
            Screen::Checks => "Checks",
            Screen::NewCheck => "New check",
            Screen::Review => "Review",
            Screen::Import => "Import roster",
            Screen::Sources => "Data sources",
            Screen::Senders => "Trusted senders",
            Screen::Settings => "Settings",
        }
    }

    /// For `--screen`: `checks`, `new-check`, `review`, `import`, `sources`, `senders`, `settings`.
    pub fn from_arg(s: &str) -> Option<Screen> {
        match s {
            "checks" => Some(Screen::Checks),
            "new-check" => Some(Screen::NewCheck),
            "review" => Some(Screen::Review),
            "import" => Some(Screen::Import),
            "sources" => Some(Screen::Sources),
            "senders" => Some(Screen::Senders),
            "settings" => Some(Screen::Settings),
            _ => None,
        }
    }
}

/// Where a screen asks the shell to go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Navigate {
    To(Screen),
    /// The Checks screen with this check selected.
    ShowCheck(i64),
}

/// What a screen may use while drawing.
pub struct ScreenCtx<'a> {
    pub data: &'a AppData,
    pub cmds: &'a Commands,
    /// Set to move to another screen after this frame.
    pub navigate: &'a mut Option<Navigate>,
    pub toasts: &'a mut egui_notify::Toasts,
    /// Remembered preferences (the Settings screen changes the theme).
    pub prefs: &'a mut Prefs,
}

/// What a screen may use when the answers to its requests come in.
pub struct AnswerCtx<'a> {
    pub data: &'a AppData,
    pub cmds: &'a Commands,
    pub toasts: &'a mut egui_notify::Toasts,
    /// What the window told the person, newest last (the shell keeps the
    /// last few; a toast fades, this does not).
    pub told: &'a mut Vec<String>,
}

/// The answer waiting in `slot`, once it came (the slot is emptied then).
pub fn answer<T>(slot: &mut Option<crate::engine::Pending<T>>) -> Option<Result<T, crate::domain::EngineError>> {
    let r = slot.as_mut()?.poll()?;
    *slot = None;
    Some(r)
}

impl AnswerCtx<'_> {
    /// A change's answer, once it came, told to the person: what it did, or why not.
    pub fn tell(&mut self, slot: &mut Option<crate::engine::Pending<crate::engine::Said>>) {
        match answer(slot) {
            Some(Ok(said)) => self.done(said),
            Some(Err(e)) => self.failed(&e),
            None => {}
        }
    }

    /// The selected check's detail, once it came: kept when it is still the
    /// selected one. Returns whether it is wanted again (it changed meanwhile).
    pub fn detail(
        &mut self,
        request: &mut crate::engine::Latest<Box<crate::engine::event::CheckDetail>>,
        selected: Option<i64>,
        detail: &mut Option<crate::engine::event::CheckDetail>,
    ) -> bool {
        let Some((r, again)) = request.poll() else { return false };
        match r {
            Ok(d) if Some(d.check.id) == selected => *detail = Some(*d),
            Ok(_) => {}
            Err(e) => self.failed(&e),
        }
        again
    }

    /// A change worked: say so briefly.
    pub fn done(&mut self, said: impl Into<String>) {
        let said = said.into();
        self.told.push(said.clone());
        self.toasts
            .success(said)
            .duration(Some(std::time::Duration::from_secs(4)));
    }

    /// A request failed: its sentence and detail, for longer.
    pub fn failed(&mut self, e: &crate::domain::EngineError) {
        self.told.push(e.two_lines());
        self.toasts
            .error(e.two_lines())
            .duration(Some(std::time::Duration::from_secs(10)));
    }
}

/// One screen.
pub trait View {
    /// Called when the screen becomes visible (load what it shows).
    fn on_show(&mut self, _data: &AppData, _cmds: &Commands) {}

    /// Every engine event, whether the screen is visible or not, after the
    /// frame's events were coalesced (one `ChecksChanged` per frame at most).
    fn on_event(&mut self, _event: &Event, _data: &AppData, _cmds: &Commands) {}

    /// Once per frame, visible or not: take the answers to the screen's
    /// requests that have come (each [`crate::engine::Pending`] it holds).
    fn poll(&mut self, _cx: &mut AnswerCtx<'_>) {}

    /// Draws the screen.
    fn ui(&mut self, ui: &mut egui::Ui, cx: &mut ScreenCtx<'_>);
}
