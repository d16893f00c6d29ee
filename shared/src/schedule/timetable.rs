//! The booked lessons of a region and the rule that matters most: a classroom or a teacher is never
//! in two overlapping lessons. A clash check names every clashing lesson at once.

use super::slot::Slot;
use crate::ids::{ClassroomId, LessonId, TeacherId};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// Something that can only be in one lesson at a time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Resource {
    Classroom(ClassroomId),
    Teacher(TeacherId),
}

/// A lesson as the timetable sees it: when, who teaches, which classrooms (master and remote).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Booking {
    pub lesson: LessonId,
    pub slot: Slot,
    pub teacher: TeacherId,
    pub classrooms: Vec<ClassroomId>,
}

impl Booking {
    fn resources(&self) -> impl Iterator<Item = Resource> + '_ {
        std::iter::once(Resource::Teacher(self.teacher))
            .chain(self.classrooms.iter().map(|c| Resource::Classroom(*c)))
    }
}

/// An existing lesson that a new or moved one would overlap, and on what.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Clash {
    pub lesson: LessonId,
    pub slot: Slot,
    pub on: Resource,
}

/// Every booked lesson, indexed by resource. Per resource the booked slots never overlap, which
/// makes a clash check a logarithmic lookup.
#[derive(Clone, Debug, Default)]
pub struct Timetable {
    lessons: HashMap<LessonId, Booking>,
    /// Per resource: start -> (end, lesson).
    by: HashMap<Resource, BTreeMap<i64, (i64, LessonId)>>,
}

impl Timetable {
    pub fn new() -> Timetable {
        Timetable::default()
    }

    pub fn len(&self) -> usize {
        self.lessons.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lessons.is_empty()
    }

    pub fn get(&self, lesson: LessonId) -> Option<&Booking> {
        self.lessons.get(&lesson)
    }

    /// Every booked lesson that `candidate` would overlap on its teacher or a classroom, sorted.
    /// The candidate's own lesson (when moving it) does not count.
    pub fn clashes(&self, candidate: &Booking) -> Vec<Clash> {
        let mut out = Vec::new();
        let mut seen = Vec::new();
        for on in candidate.resources() {
            if seen.contains(&on) {
                continue;
            }
            seen.push(on);
            let Some(slots) = self.by.get(&on) else {
                continue;
            };
            // Slots of one resource do not overlap, so walking back from the candidate's end,
            // the first slot that ends by its start ends the search.
            for (&start, &(end, lesson)) in slots.range(..candidate.slot.end).rev() {
                if lesson == candidate.lesson {
                    continue;
                }
                if end <= candidate.slot.start {
                    break;
                }
                out.push(Clash {
                    lesson,
                    slot: Slot { start, end },
                    on,
                });
            }
        }
        out.sort();
        out
    }

    /// Books a new lesson, or moves a booked one; refused with every clash, changing nothing.
    pub fn book(&mut self, booking: Booking) -> Result<(), Vec<Clash>> {
        let clashes = self.clashes(&booking);
        if !clashes.is_empty() {
            return Err(clashes);
        }
        self.unbook(booking.lesson);
        self.insert(booking);
        Ok(())
    }

    /// Every clash of many new lessons (a series): with booked lessons and among themselves.
    pub fn clashes_all(&self, bookings: &[Booking]) -> Vec<Clash> {
        let mut clashes: Vec<Clash> = bookings.iter().flat_map(|b| self.clashes(b)).collect();
        let mut staged = Timetable::new();
        for b in bookings {
            clashes.extend(staged.clashes(b));
            staged.insert(b.clone());
        }
        clashes.sort();
        clashes.dedup();
        clashes
    }

    /// Books many lessons (a series) all or nothing; refused with every clash of every one.
    pub fn book_all(&mut self, bookings: Vec<Booking>) -> Result<(), Vec<Clash>> {
        let clashes = self.clashes_all(&bookings);
        if !clashes.is_empty() {
            return Err(clashes);
        }
        for b in bookings {
            self.unbook(b.lesson);
            self.insert(b);
        }
        Ok(())
    }

    pub fn unbook(&mut self, lesson: LessonId) -> Option<Booking> {
        let booking = self.lessons.remove(&lesson)?;
        for on in booking.resources() {
            if let Some(slots) = self.by.get_mut(&on) {
                if slots
                    .get(&booking.slot.start)
                    .is_some_and(|(_, l)| *l == lesson)
                {
                    slots.remove(&booking.slot.start);
                }
            }
        }
        Some(booking)
    }

    /// Lessons of a resource that overlap `within`, in time order.
    pub fn lessons_of(&self, on: Resource, within: Slot) -> Vec<LessonId> {
        let Some(slots) = self.by.get(&on) else {
            return Vec::new();
        };
        let mut out: Vec<LessonId> = slots
            .range(..within.end)
            .rev()
            .take_while(|(_, (end, _))| *end > within.start)
            .map(|(_, (_, lesson))| *lesson)
            .collect();
        out.reverse();
        out
    }

    /// Adds a lesson without checking for clashes (loading a timetable already known to be
    /// clash-free, e.g. from the database).
    pub fn insert_unchecked(&mut self, booking: Booking) {
        self.insert(booking);
    }

    fn insert(&mut self, booking: Booking) {
        for on in booking.resources() {
            self.by
                .entry(on)
                .or_default()
                .insert(booking.slot.start, (booking.slot.end, booking.lesson));
        }
        self.lessons.insert(booking.lesson, booking);
    }
}
