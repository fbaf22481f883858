//! Dependency graph between the objects of one deployment.
//!
//! Nodes are the desired objects (to apply) and the owned live objects that are
//! no longer desired (to delete). Edges are inferred from what the objects say
//! about each other (pod templates naming ConfigMaps, selectors matching pod
//! labels, bindings naming roles, ...) plus explicit dependencies from the
//! deployment settings.
//!
//! Edges point in *execution* order: `a -> b` means `a` must be done before `b`
//! starts. A reference from a dependent to an object that is being applied
//! orders the dependency first; a reference to an object that is being deleted
//! orders the dependent first, so that deletions run in reverse (a workload is
//! removed before the ConfigMap it used, a namespace after everything in it).
//! A consequence is that every edge between an applied and a deleted node goes
//! from the applied one to the deleted one, which lets [`Graph::order`] and
//! [`Graph::waves`] run every deletion after every apply: replacements are up
//! before what they replace goes away.
//!
//! A [`Graph`] value is always acyclic: [`Graph::build`] refuses cycles.

mod format;
mod rules;
mod selector;

pub use format::{node_id, to_dot, to_json, to_mermaid, JSON_FORMAT_VERSION};

use crate::kinds::apply_rank;
use crate::object::{Object, ObjectKey};
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::Direction;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet, VecDeque};
use std::fmt;

/// Errors of the graph module.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GraphError {
    /// The same object was given twice (twice desired, or desired and pruned).
    #[error("{} is given more than once (as {first} and as {second})", describe(.key))]
    DuplicateObject {
        key: Box<ObjectKey>,
        first: NodeRole,
        second: NodeRole,
    },
    /// An explicit dependency names a dependent that is not part of the
    /// deployment; there is nothing to order, so it is most likely a typo.
    #[error(
        "explicit dependency of {} on {}: {} is not part of the deployment",
        describe(.dependent), describe(.dependency), describe(.dependent)
    )]
    UnknownDependent {
        dependent: Box<ObjectKey>,
        dependency: Box<ObjectKey>,
    },
    /// The objects depend on each other in a circle; `cycle` starts and ends
    /// with the same object.
    #[error("dependency cycle: {}", format_cycle(.cycle))]
    Cycle { cycle: Vec<ObjectKey> },
}

fn describe(key: &ObjectKey) -> String {
    if key.namespace.is_empty() {
        key.to_string()
    } else {
        format!("{} in namespace {}", key, key.namespace)
    }
}

fn format_cycle(cycle: &[ObjectKey]) -> String {
    cycle
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(" -> ")
}

/// What happens to a node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NodeRole {
    /// A desired object: created or updated.
    Apply,
    /// An owned live object that is no longer desired: pruned.
    Delete,
}

impl NodeRole {
    pub fn as_str(self) -> &'static str {
        match self {
            NodeRole::Apply => "apply",
            NodeRole::Delete => "delete",
        }
    }
}

impl fmt::Display for NodeRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why one object depends on another, phrased from the dependent's side
/// ("deployment *mounts configmap*", "hpa *scales* deployment").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Reason {
    InNamespace,
    QuotaApplies,
    LimitRangeApplies,
    RunsAsServiceAccount,
    MountsConfigMap,
    MountsSecret,
    MountsVolumeClaim,
    EnvFromConfigMap,
    EnvFromSecret,
    PullsWithSecret,
    TokenForServiceAccount,
    TlsSecret,
    RoutesTo,
    Scales,
    Protects,
    Selects,
    BindsRole,
    BindsServiceAccount,
    Explicit,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::InNamespace => "in namespace",
            Reason::QuotaApplies => "quota applies",
            Reason::LimitRangeApplies => "limit range applies",
            Reason::RunsAsServiceAccount => "runs as serviceaccount",
            Reason::MountsConfigMap => "mounts configmap",
            Reason::MountsSecret => "mounts secret",
            Reason::MountsVolumeClaim => "mounts pvc",
            Reason::EnvFromConfigMap => "env from configmap",
            Reason::EnvFromSecret => "env from secret",
            Reason::PullsWithSecret => "pulls images with secret",
            Reason::TokenForServiceAccount => "token for serviceaccount",
            Reason::TlsSecret => "tls secret",
            Reason::RoutesTo => "routes to",
            Reason::Scales => "scales",
            Reason::Protects => "protects",
            Reason::Selects => "selects",
            Reason::BindsRole => "binds role",
            Reason::BindsServiceAccount => "binds serviceaccount",
            Reason::Explicit => "explicit dependency",
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One object of the graph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    pub key: ObjectKey,
    pub action: NodeRole,
}

/// A reference from one object to another, as the dependent states it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Reference {
    pub dependent: ObjectKey,
    pub dependency: ObjectKey,
    pub reason: Reason,
}

/// An edge of the graph in execution order: `from` is done before `to`.
#[derive(Debug, Clone, Copy)]
pub struct EdgeRef<'g> {
    pub from: &'g Node,
    pub to: &'g Node,
    /// Every reason found between the two objects, sorted and without repeats.
    pub reasons: &'g [Reason],
}

impl EdgeRef<'_> {
    /// The reasons joined for display ("mounts configmap, env from configmap").
    pub fn reason_text(&self) -> String {
        self.reasons
            .iter()
            .map(|r| r.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The dependency graph; acyclic by construction.
#[derive(Debug, Clone)]
pub struct Graph {
    graph: DiGraph<Node, Vec<Reason>>,
    index: HashMap<ObjectKey, NodeIndex>,
    /// Topological order, node indices.
    order: Vec<NodeIndex>,
    /// Position of each node (by index) in `order`, for sorting query results.
    position: Vec<usize>,
    waves: Vec<Vec<NodeIndex>>,
    missing: Vec<Reference>,
    to_deleted: Vec<Reference>,
}

impl Graph {
    /// Build the graph of `desired` objects (applied) and `prune` objects
    /// (deleted), with explicit `(dependent, dependency)` pairs from the
    /// deployment settings.
    ///
    /// References to objects outside both sets are not edges (the object may
    /// already exist in the cluster); they are kept in
    /// [`Graph::missing_references`].
    ///
    /// Fails when an object is given twice, when an explicit dependency names
    /// a dependent that is in neither set, or when the dependencies form a
    /// cycle.
    pub fn build(
        desired: &[Object],
        prune: &[Object],
        extra: &[(ObjectKey, ObjectKey)],
    ) -> Result<Graph, GraphError> {
        let objects: Vec<(&Object, NodeRole)> = desired
            .iter()
            .map(|o| (o, NodeRole::Apply))
            .chain(prune.iter().map(|o| (o, NodeRole::Delete)))
            .collect();

        let (graph, index) = add_nodes(&objects)?;
        let mut builder = EdgeBuilder {
            graph,
            index: &index,
            pairs: HashMap::with_capacity(objects.len() * 3),
            missing: Vec::new(),
            to_deleted: Vec::new(),
        };

        rules::infer(&objects, &mut builder);

        for (dependent, dependency) in extra {
            let Some(&d) = index.get(dependent) else {
                return Err(GraphError::UnknownDependent {
                    dependent: Box::new(dependent.clone()),
                    dependency: Box::new(dependency.clone()),
                });
            };
            builder.reference(d, dependency, Reason::Explicit, false);
        }

        let EdgeBuilder {
            graph,
            mut missing,
            mut to_deleted,
            ..
        } = builder;
        missing.sort();
        missing.dedup();
        to_deleted.sort();
        to_deleted.dedup();

        let mut graph = graph;
        for reasons in graph.edge_weights_mut() {
            reasons.sort();
            reasons.dedup();
        }

        let tie = tie_positions(&graph);
        let order = topological_order(&graph, &tie)?;
        let mut position = vec![0; graph.node_count()];
        for (i, n) in order.iter().enumerate() {
            position[n.index()] = i;
        }
        let waves = layer(&graph, &order, &position);

        Ok(Graph {
            graph,
            index,
            order,
            position,
            waves,
            missing,
            to_deleted,
        })
    }

    pub fn len(&self) -> usize {
        self.graph.node_count()
    }

    pub fn is_empty(&self) -> bool {
        self.graph.node_count() == 0
    }

    pub fn node(&self, key: &ObjectKey) -> Option<&Node> {
        self.index.get(key).map(|&n| &self.graph[n])
    }

    pub fn contains(&self, key: &ObjectKey) -> bool {
        self.index.contains_key(key)
    }

    /// Every node in a deterministic topological order: dependencies first,
    /// ties broken by action (applies before deletes), then
    /// [`crate::kinds::apply_rank`]
    /// (reversed for deletes), then key.
    pub fn order(&self) -> Vec<&Node> {
        self.order.iter().map(|&n| &self.graph[n]).collect()
    }

    /// Layers of nodes such that every node's dependencies are in earlier
    /// layers; nodes of one layer may run concurrently. Deletions are in later
    /// layers than every apply. Each layer is in [`Graph::order`] order.
    pub fn waves(&self) -> Vec<Vec<&Node>> {
        self.waves
            .iter()
            .map(|wave| wave.iter().map(|&n| &self.graph[n]).collect())
            .collect()
    }

    /// The nodes that must be done before `key` starts (direct edges only),
    /// in [`Graph::order`] order. Empty for an unknown key.
    pub fn dependencies_of(&self, key: &ObjectKey) -> Vec<&Node> {
        self.neighbours(key, Direction::Incoming)
    }

    /// The nodes that wait directly for `key`, in [`Graph::order`] order.
    pub fn dependents_of(&self, key: &ObjectKey) -> Vec<&Node> {
        self.neighbours(key, Direction::Outgoing)
    }

    /// Everything that waits for `key`, directly or not, in [`Graph::order`]
    /// order: what to skip when `key` fails.
    pub fn all_dependents_of(&self, key: &ObjectKey) -> Vec<&Node> {
        self.reachable(key, Direction::Outgoing)
    }

    /// Everything `key` waits for, directly or not, in [`Graph::order`] order.
    pub fn all_dependencies_of(&self, key: &ObjectKey) -> Vec<&Node> {
        self.reachable(key, Direction::Incoming)
    }

    /// Every edge, sorted by the positions of `from` then `to` in
    /// [`Graph::order`].
    pub fn edges(&self) -> Vec<EdgeRef<'_>> {
        let mut edges: Vec<_> = self
            .graph
            .raw_edges()
            .iter()
            .map(|e| (e.source(), e.target(), e.weight.as_slice()))
            .collect();
        edges.sort_by_key(|&(a, b, _)| (self.position[a.index()], self.position[b.index()]));
        edges
            .into_iter()
            .map(|(a, b, reasons)| EdgeRef {
                from: &self.graph[a],
                to: &self.graph[b],
                reasons,
            })
            .collect()
    }

    /// References from desired objects to objects in neither set. They are
    /// not edges; the object may exist in the cluster, or it may be a mistake
    /// worth a warning. Optional references (`optional: true`) and the
    /// `default` ServiceAccount are left out. Sorted.
    pub fn missing_references(&self) -> &[Reference] {
        &self.missing
    }

    /// References from desired objects to objects that are being deleted:
    /// after the apply they will dangle. They are also edges (the dependent is
    /// applied before the deletion). Sorted.
    pub fn references_to_deleted(&self) -> &[Reference] {
        &self.to_deleted
    }

    /// The wave index of every node, for renderers.
    fn wave_of(&self) -> Vec<usize> {
        let mut wave_of = vec![0; self.graph.node_count()];
        for (i, wave) in self.waves.iter().enumerate() {
            for n in wave {
                wave_of[n.index()] = i;
            }
        }
        wave_of
    }

    fn neighbours(&self, key: &ObjectKey, dir: Direction) -> Vec<&Node> {
        let Some(&n) = self.index.get(key) else {
            return Vec::new();
        };
        let mut found: Vec<NodeIndex> = self.graph.neighbors_directed(n, dir).collect();
        self.sorted_nodes(&mut found)
    }

    fn reachable(&self, key: &ObjectKey, dir: Direction) -> Vec<&Node> {
        let Some(&start) = self.index.get(key) else {
            return Vec::new();
        };
        let mut seen = HashSet::new();
        let mut queue = VecDeque::from([start]);
        while let Some(n) = queue.pop_front() {
            for m in self.graph.neighbors_directed(n, dir) {
                if seen.insert(m) {
                    queue.push_back(m);
                }
            }
        }
        let mut found: Vec<NodeIndex> = seen.into_iter().collect();
        self.sorted_nodes(&mut found)
    }

    fn sorted_nodes(&self, found: &mut [NodeIndex]) -> Vec<&Node> {
        found.sort_by_key(|n| self.position[n.index()]);
        found.iter().map(|&n| &self.graph[n]).collect()
    }
}

/// The petgraph under [`Graph`]: nodes are objects, edge weights the reasons.
type NodeGraph = DiGraph<Node, Vec<Reason>>;

/// One node per object, in the order given (the rules rely on it), and the
/// index by key; an object given twice is an error.
fn add_nodes(
    objects: &[(&Object, NodeRole)],
) -> Result<(NodeGraph, HashMap<ObjectKey, NodeIndex>), GraphError> {
    let mut graph: NodeGraph = DiGraph::with_capacity(objects.len(), objects.len() * 3);
    let mut index: HashMap<ObjectKey, NodeIndex> = HashMap::with_capacity(objects.len());
    for (object, action) in objects {
        let key = object.key();
        if let Some(&existing) = index.get(&key) {
            return Err(GraphError::DuplicateObject {
                key: Box::new(key),
                first: graph[existing].action,
                second: *action,
            });
        }
        let node = graph.add_node(Node {
            key: key.clone(),
            action: *action,
        });
        index.insert(key, node);
    }
    Ok((graph, index))
}

/// Adds edges while the rules run; owns the de-duplication of node pairs so
/// that adding stays O(1) even for a namespace with thousands of members
/// (petgraph's `update_edge` scans the node's edge list).
pub(crate) struct EdgeBuilder<'a> {
    graph: DiGraph<Node, Vec<Reason>>,
    index: &'a HashMap<ObjectKey, NodeIndex>,
    pairs: HashMap<(NodeIndex, NodeIndex), petgraph::graph::EdgeIndex>,
    missing: Vec<Reference>,
    to_deleted: Vec<Reference>,
}

impl EdgeBuilder<'_> {
    /// `dependent` refers to `dependency` by key; records a missing reference
    /// when it is not in the graph.
    pub(crate) fn reference(
        &mut self,
        dependent: NodeIndex,
        dependency: &ObjectKey,
        reason: Reason,
        optional: bool,
    ) {
        match self.index.get(dependency) {
            Some(&target) => self.link(dependent, target, reason),
            None => {
                // A deleted object's references do not matter: it is going away.
                let is_default_sa =
                    dependency.kind == "ServiceAccount" && dependency.name == "default";
                if self.graph[dependent].action == NodeRole::Apply && !optional && !is_default_sa {
                    self.missing.push(Reference {
                        dependent: self.graph[dependent].key.clone(),
                        dependency: dependency.clone(),
                        reason,
                    });
                }
            }
        }
    }

    /// `dependent` depends on `dependency`, both in the graph.
    pub(crate) fn link(&mut self, dependent: NodeIndex, dependency: NodeIndex, reason: Reason) {
        let dependency_action = self.graph[dependency].action;
        // A quota or limit range governs the whole namespace; no object names
        // it, so nothing dangles when it goes.
        let names_it = !matches!(reason, Reason::QuotaApplies | Reason::LimitRangeApplies);
        if names_it
            && dependency_action == NodeRole::Delete
            && self.graph[dependent].action == NodeRole::Apply
        {
            self.to_deleted.push(Reference {
                dependent: self.graph[dependent].key.clone(),
                dependency: self.graph[dependency].key.clone(),
                reason,
            });
        }
        // Deletion flips the order: whatever uses a deleted object goes first.
        let (from, to) = match dependency_action {
            NodeRole::Apply => (dependency, dependent),
            NodeRole::Delete => (dependent, dependency),
        };
        match self.pairs.get(&(from, to)) {
            Some(&edge) => self.graph[edge].push(reason),
            None => {
                let edge = self.graph.add_edge(from, to, vec![reason]);
                self.pairs.insert((from, to), edge);
            }
        }
    }
}

/// Position of every node in the tie-break order: applies before deletes,
/// applies by kind rank, deletes by reversed kind rank, then by key.
fn tie_positions(graph: &DiGraph<Node, Vec<Reason>>) -> Vec<usize> {
    let mut nodes: Vec<NodeIndex> = graph.node_indices().collect();
    // The rank is a registry lookup: compute each node's key once.
    nodes.sort_by_cached_key(|&n| tie_key(&graph[n]));
    let mut tie = vec![0; graph.node_count()];
    for (i, n) in nodes.iter().enumerate() {
        tie[n.index()] = i;
    }
    tie
}

fn tie_key(node: &Node) -> (NodeRole, u8, &ObjectKey) {
    let rank = apply_rank(&node.key.kind);
    let rank = match node.action {
        NodeRole::Apply => rank,
        NodeRole::Delete => u8::MAX - rank,
    };
    (node.action, rank, &node.key)
}

/// Kahn's algorithm with a min-heap on the tie-break position, so that the
/// result does not depend on input order.
fn topological_order(
    graph: &DiGraph<Node, Vec<Reason>>,
    tie: &[usize],
) -> Result<Vec<NodeIndex>, GraphError> {
    let mut in_degree: Vec<usize> = graph
        .node_indices()
        .map(|n| graph.neighbors_directed(n, Direction::Incoming).count())
        .collect();
    let mut ready: BinaryHeap<Reverse<(usize, usize)>> = graph
        .node_indices()
        .filter(|n| in_degree[n.index()] == 0)
        .map(|n| Reverse((tie[n.index()], n.index())))
        .collect();
    let mut order = Vec::with_capacity(graph.node_count());
    while let Some(Reverse((_, i))) = ready.pop() {
        let n = NodeIndex::new(i);
        order.push(n);
        for m in graph.neighbors_directed(n, Direction::Outgoing) {
            let d = &mut in_degree[m.index()];
            *d -= 1;
            if *d == 0 {
                ready.push(Reverse((tie[m.index()], m.index())));
            }
        }
    }
    if order.len() == graph.node_count() {
        Ok(order)
    } else {
        Err(GraphError::Cycle {
            cycle: find_cycle(graph, tie),
        })
    }
}

/// One cycle, object by object, starting and ending at the first member (in
/// tie-break order) of the first strongly connected component that has one.
fn find_cycle(graph: &DiGraph<Node, Vec<Reason>>, tie: &[usize]) -> Vec<ObjectKey> {
    let cyclic = petgraph::algo::tarjan_scc(graph)
        .into_iter()
        .filter(|scc| scc.len() > 1 || graph.find_edge(scc[0], scc[0]).is_some())
        .filter_map(|scc| {
            let start = *scc.iter().min_by_key(|n| tie[n.index()])?;
            Some((start, scc))
        })
        .min_by_key(|(start, _)| tie[start.index()]);
    let Some((start, scc)) = cyclic else {
        return Vec::new();
    };
    let members: HashSet<NodeIndex> = scc.into_iter().collect();

    // Breadth-first within the component for the shortest way back to start;
    // successors in tie order keep the reported cycle stable.
    let mut parent: HashMap<NodeIndex, NodeIndex> = HashMap::new();
    let mut queue = VecDeque::from([start]);
    let mut last = None;
    'search: while let Some(n) = queue.pop_front() {
        let mut next: Vec<NodeIndex> = graph
            .neighbors_directed(n, Direction::Outgoing)
            .filter(|m| members.contains(m))
            .collect();
        next.sort_by_key(|m| tie[m.index()]);
        next.dedup();
        for m in next {
            if m == start {
                last = Some(n);
                break 'search;
            }
            if let std::collections::hash_map::Entry::Vacant(e) = parent.entry(m) {
                e.insert(n);
                queue.push_back(m);
            }
        }
    }
    let Some(last) = last else {
        return Vec::new();
    };
    // Walk the parents from the node that closes the cycle back to start.
    let mut path = vec![last];
    let mut n = last;
    while n != start {
        n = match parent.get(&n) {
            Some(&p) => p,
            None => break,
        };
        path.push(n);
    }
    path.reverse();
    path.push(start);
    path.into_iter().map(|n| graph[n].key.clone()).collect()
}

/// Longest-path layering: a node's wave is one past its latest dependency's.
/// Deletions start after the last apply wave.
fn layer(
    graph: &DiGraph<Node, Vec<Reason>>,
    order: &[NodeIndex],
    position: &[usize],
) -> Vec<Vec<NodeIndex>> {
    let mut wave = vec![0usize; graph.node_count()];
    let mut apply_waves = 0;
    // Applies never depend on deletions, so in `order` every apply comes first.
    for &n in order {
        let mut w = graph
            .neighbors_directed(n, Direction::Incoming)
            .map(|m| wave[m.index()] + 1)
            .max()
            .unwrap_or(0);
        match graph[n].action {
            NodeRole::Apply => apply_waves = apply_waves.max(w + 1),
            NodeRole::Delete => w = w.max(apply_waves),
        }
        wave[n.index()] = w;
    }
    let count = order.iter().map(|n| wave[n.index()] + 1).max().unwrap_or(0);
    let mut waves = vec![Vec::new(); count];
    for &n in order {
        waves[wave[n.index()]].push(n);
    }
    for w in &mut waves {
        w.sort_by_key(|n| position[n.index()]);
    }
    waves
}
