//! Work spread over the machine's cores, with results in input order so
//! that no output depends on which thread finished first.

use std::sync::Mutex;

/// `items.into_iter().map(f).collect()`, in parallel when the machine has
/// more than one core: one thread per item, at most one more than the
/// cores (that one keeps uneven items, such as three environments on two
/// cores, from leaving a core idle at the end) and at most four (past
/// that, memory grows faster than speed). Each item is moved into `f`, so
/// it can be dropped as soon as it is done with.
pub fn map<T: Send, R: Send>(items: Vec<T>, f: impl Fn(T) -> R + Sync) -> Vec<R> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let threads = if cores > 1 {
        items.len().min(cores + 1).min(4)
    } else {
        1
    };
    if threads <= 1 {
        return items.into_iter().map(f).collect();
    }
    let count = items.len();
    let queue = Mutex::new(items.into_iter().enumerate());
    let done: Mutex<Vec<(usize, R)>> = Mutex::new(Vec::with_capacity(count));
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| loop {
                let next = queue.lock().unwrap_or_else(|e| e.into_inner()).next();
                let Some((i, item)) = next else { break };
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
        let out = map(items.clone(), |i| {
            let mut x = i;
            for _ in 0..(i % 7) * 1000 {
                x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
            }
            (i, x)
        });
        assert_eq!(out.iter().map(|(i, _)| *i).collect::<Vec<_>>(), items);
        assert!(map(Vec::<u8>::new(), |_| 0u8).is_empty());
    }
}
