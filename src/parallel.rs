//! Work spread over the machine's cores, with results in input order so
//! that no output depends on which thread finished first.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// Threads to use: one per core, at most four (past that, memory grows
/// faster than speed).
pub fn threads() -> usize {
    std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 4)
}

/// `items.iter().map(f).collect()`, in parallel when there is more than
/// one core: one thread per item, at most four. A few more threads than
/// cores keep uneven items (three environments on two cores) from leaving
/// a core idle at the end.
pub fn map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = if threads() > 1 { items.len().min(4) } else { 1 };
    if threads <= 1 {
        return items.iter().map(f).collect();
    }
    let next = AtomicUsize::new(0);
    let done: Mutex<Vec<(usize, R)>> = Mutex::new(Vec::with_capacity(items.len()));
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(item) = items.get(i) else { break };
                let r = f(item);
                done.lock().unwrap_or_else(|e| e.into_inner()).push((i, r));
            });
        }
    });
    let mut done = done.into_inner().unwrap_or_else(|e| e.into_inner());
    done.sort_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, r)| r).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_keep_the_input_order() {
        let items: Vec<u64> = (0..200).collect();
        // Uneven work, so threads finish out of order.
        let out = map(&items, |&i| {
            let mut x = i;
            for _ in 0..(i % 7) * 1000 {
                x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
            }
            (i, x)
        });
        assert_eq!(out.iter().map(|(i, _)| *i).collect::<Vec<_>>(), items);
        assert!(map(&[] as &[u8], |_| 0u8).is_empty());
    }
}
