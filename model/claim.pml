/*
 * The claim protocols of the JDBC store on PostgreSQL, at the level of their SQL, for one key.
 *
 * What is modelled, and where it lives in the code:
 *   - the application's request engine: Idempotency.process / Idempotency.run (idempotency-core);
 *   - the claims: PostgresDialect.claimInTransaction (transaction mode) and PostgresDialect.claimLease
 *     (lease mode), with SqlDialect.reclaimable and the reclaim UPDATE (idempotency-jdbc, internal);
 *   - storing the outcome: PostgresDialect.insertCompletedAndCommit and JdbcClaim.complete (transaction
 *     mode), SqlDialect.complete through JdbcLeaseClaim.complete (lease mode);
 *   - the lease's heartbeat: LeaseRenewals (every third of the lease) and SqlDialect.renew;
 *   - giving a key back: JdbcClaim.abandon (rollback), JdbcLeaseClaim.abandon (SqlDialect.release);
 *   - the purge: SqlDialect.purge (RecordPurge);
 *   - the clients: each request process is one client sending one request, retrying with the same key
 *     after a 409, a 5xx, a lost answer or a crash of the server that ran it, up to MAXATT attempts.
 *
 * Each statement of the SQL is one atomic step: PostgreSQL runs it under one snapshot (READ COMMITTED),
 * and a row it changes stays locked until its transaction ends. A transaction's writes are invisible to
 * others until its COMMIT, which applies them at once; a crash (of the process or of its connection)
 * rolls them back and frees its locks, advisory or row.
 *
 * Variants, chosen with -D when generating the verifier:
 *   LEASE_MODE  lease mode (default: transaction mode)
 *   OLD_RULE    the reclaim rule before the fix of the TTL/lease defect: a record whose time to live ran
 *               out was taken over even while a live lease held it (expected to FAIL)
 *   OLD_EXPIRY  the time to live counted from the claim instead of the stored outcome (expected to FAIL)
 *   OLD_TOKEN   fencing tokens counted from 1 for each new record of the key, as before the model found
 *               that a stalled holder then fences in the key's next claim instead of out (expected to FAIL)
 *   NREQ=n      requests with the one key (2 or 3; the third carries another request body)
 */

#ifndef NREQ
#define NREQ 2
#endif
#ifndef MAXT
#define MAXT 3          /* the clock runs from 0 to MAXT */
#endif
#define TTL 2           /* idempotency.key-ttl, in ticks */
#define LEASE_TICKS 2   /* idempotency.lease-duration, in ticks */
#ifndef MAXATT
#define MAXATT 3        /* attempts per client */
#endif
#ifndef MAXCRASH
#define MAXCRASH 0      /* lease-mode crashes in one execution (a stall covers them, see the lease holder) */
#endif

#define NONE 255        /* SQL NULL for times */
#define IP 1            /* state = 'IN_PROGRESS' */
#define DONE 2          /* state = 'COMPLETED' */

/* answers a client ends with */
#define A_NONE 0
#define A_EXECUTED 1    /* 2xx, the handler ran */
#define A_REPLAYED 2    /* 2xx, Idempotent-Replayed */
#define A_MISMATCH 3    /* 422 */
#define A_GAVE_UP 4     /* MAXATT attempts without a final answer */

/* fingerprint of each request: 1 and 2 are the same request (a retry race), 3 another body */
#define fp_of(i) (i == 3 -> 2 : 1)

/* ---- the database: the committed row of idempotency_record for the key ---- */
byte now = 0;                   /* the one clock: clock_timestamp() and the application's clock */
bool r_ex = false;
byte r_st;
byte r_fp;
byte r_exp;                     /* expires_at */
byte r_lease = NONE;            /* lease_expires_at */
byte r_tok;                     /* fencing_token */
byte r_out;                     /* the stored response: which request produced it */
byte r_owner;                   /* ghost: whose claim the row's token was granted to */
byte clock_token = 0;           /* the database clock in microseconds, as a new token reads it: it only grows */
byte xlock = 0;                 /* pg_try_advisory_xact_lock on the key: the holding request, 0 free */
byte rowlock = 0;               /* the row lock of an uncommitted UPDATE: the holding request */

/* ---- ghost state: what happened in the world, for the properties ---- */
byte crashes = 0;
byte effects = 0;               /* effects committed (transaction mode) or made (lease mode) */
byte outcomes = 0;              /* outcomes stored */
bool eff[4];             /* request i's attempt made the effect */
bool excused[4];         /* ... and then crashed, stalled or failed: a rerun is allowed */
byte stored_exp[4];      /* when the outcome request i stored expires, by the specification */
byte claim_t[4];         /* when request i's current attempt claimed the key */
byte tok_of[4];          /* the fencing token request i holds */
bool holding[4];         /* request i holds a committed lease and runs its handler */
bool stalled[4];         /* ... and its heartbeat stopped (a pause, a partition) */
byte pending_lease[4];   /* the lease request i's claim statement wrote, until its COMMIT (0: none) */
byte told_out = 0;              /* the last 2xx a client was told, by the request that produced it */
byte told_fp = 0;
byte told_exp = NONE;           /* and until when it must be replayed */
byte answer[4];
byte finished = 0;

#define lease_live(l)    ((l) != NONE && (l) > now)
#define lease_expired(l) ((l) != NONE && (l) <= now)

/*
 * SqlDialect.reclaimable(row, request), on the row as read at time t:
 * a live lease is never taken over; otherwise a record whose time to live ran out, or a lease that ran
 * out for the same request.
 */
#ifdef OLD_RULE
#define reclaimable(st, fp, exp, l, myfp, t) \
    ((exp) <= (t) || ((st) == IP && lease_expired(l) && (fp) == (myfp)))
#else
#define reclaimable(st, fp, exp, l, myfp, t) \
    (!lease_live(l) && ((exp) <= (t) || ((st) == IP && lease_expired(l) && (fp) == (myfp))))
#endif

/*
 * The WHERE clause of SqlDialect's reclaim UPDATE, on the committed row now: the token read must still be
 * there, and (fixed) expires_at <= ? AND (lease_expires_at IS NULL OR lease_expires_at <= clock_timestamp())
 * OR (state = 'IN_PROGRESS' AND lease_expires_at <= clock_timestamp() AND fingerprint = ?).
 * The row must not be locked by another open transaction (the UPDATE would wait; only the purge's
 * FOR UPDATE SKIP LOCKED and another claim's reclaim lock rows, and neither can hold one here: see below).
 */
#ifdef OLD_RULE
#define reclaim_where(rtok, myfp, t) \
    (r_ex && r_tok == (rtok) && ((r_exp <= (t)) || (r_st == IP && lease_expired(r_lease) && r_fp == (myfp))))
#else
#define reclaim_where(rtok, myfp, t) \
    (r_ex && r_tok == (rtok) && ((r_exp <= (t) && (r_lease == NONE || r_lease <= now)) \
        || (r_st == IP && lease_expired(r_lease) && r_fp == (myfp))))
#endif

#define told_live(t) (told_exp != NONE && (t) < told_exp)

/* At most one effect per key per time to live: request i's effect, made under claim time t, is allowed
   next to request j's only if j's attempt crashed, stalled or failed (its effect is not what a client was
   told), or j's stored outcome had expired when i claimed. */
inline check_one_effect(i) {
    j = 1;
    do
    :: j > NREQ -> break
    :: j <= NREQ ->
        assert(j == i || !eff[j] || excused[j] || (stored_exp[j] != NONE && claim_t[i] >= stored_exp[j]));
        j++
    od
}

/* The key is acquired, at this statement's time: no client may have been told a 2xx that is still to be
   replayed (it would be answered by a new run instead). */
inline acquired(i) {
    assert(!told_live(now));
    claim_t[i] = now
}

/* The token of a new record, and of a takeover (SqlDialect.newToken, GREATEST(fencing_token + 1, clock)). */
#ifdef OLD_TOKEN
#define NEW_TOKEN(tk)            tk = 1
#define NEXT_TOKEN(tk, previous) tk = (previous) + 1
#else
#define NEW_TOKEN(tk)            clock_token++; tk = clock_token
#define NEXT_TOKEN(tk, previous) clock_token++; tk = clock_token
#endif

/* A lease holder's statements (renew, complete, release) only ever touch its own claim. */
#define FENCED_IN(i) assert(r_owner == (i))

/* A client that was told 2xx is replayed that outcome until it expires: no other request acquires the key,
   a replay returns that outcome, another request body is refused. */
inline answer_from_record(myfp, st, rfp, rout) {
    if
    :: st == DONE && rfp == myfp ->
        assert(!told_live(now) || told_fp != myfp || rout == told_out);
        answer[id] = A_REPLAYED
    :: st == DONE && rfp != myfp ->
        answer[id] = A_MISMATCH
    :: else -> skip    /* IN_PROGRESS: busy */
    fi
}

/* Busy (409) is answered only while someone holds the key: the advisory lock was held when tried, a live
   lease holds the record, an expired lease of another request body whose record still lives, or the record
   changed between the read and the reclaim. A key freed by a 5xx or a crash is claimable again. */

#ifndef LEASE_MODE
/* ------------------------------------------------------------------------------------------------------ */
/* Transaction mode: PostgresDialect.claimInTransaction, JdbcClaim, Idempotency.run                        */
/* ------------------------------------------------------------------------------------------------------ */
/* A crash of the server is not a step of its own here: before the COMMIT it rolls everything back and frees
   the locks, which is what a handler failure and a failed COMMIT do (both modelled, at every moment the
   interleaving allows); after the COMMIT it is a lost answer (modelled). */
proctype Request(byte id) {
    byte att = 0, t, j;
    bool got, ex, occ, pending, reclaimed, effect;
    byte st, rfp, rexp, rl, rtok, rout, newtok, exp, spec_exp;

attempt:
    if
    :: att == MAXATT -> answer[id] = A_GAVE_UP; goto fin
    :: else -> skip
    fi;
    d_step { att++; got = false; pending = false; reclaimed = false; effect = false; newtok = 0; exp = 0; spec_exp = 0 }
    /* lockThenRead, statement 1: SELECT pg_try_advisory_xact_lock(key), never waiting. The ClaimRequest
       carries the application's clock, read as the claim is sent (Idempotency.process). */
    atomic {
        t = now;
        if
        :: xlock == 0 -> xlock = id; got = true
        :: else -> skip
        fi
    }
    /* lockThenRead, statement 2: SELECT the record, from a snapshot taken after the lock was granted */
    atomic {
        ex = r_ex; st = r_st; rfp = r_fp; rexp = r_exp; rl = r_lease; rtok = r_tok; rout = r_out;
        occ = ex && !reclaimable(st, rfp, rexp, rl, fp_of(id), t);
        if
        :: occ ->
            /* occupied(row): a completed record is answered even without the lock */
            answer_from_record(fp_of(id), st, rfp, rout);
            /* busy only while a live lease holds it, or for another request body while it lives */
            assert(st == DONE || lease_live(rl) || rfp != fp_of(id));
            if :: xlock == id -> xlock = 0 :: else -> skip fi    /* the transaction ends */
        :: !occ && got && !ex ->
            /* ClaimFound.Acquired.lockOnly(): the record is written with the outcome */
            pending = true; acquired(id)
        :: else -> skip
        fi
    }
    if
    :: answer[id] != A_NONE -> goto fin
    :: occ -> goto attempt                  /* 409: busy; the client retries */
    :: !occ && !got -> goto attempt         /* 409: the lock was held when tried */
    :: pending -> skip
    :: !occ && got && ex ->
        /* SqlDialect.reclaim: UPDATE ... fencing_token = fencing_token + 1 WHERE <reclaim_where>,
           in the transaction: the row stays locked until it ends */
        atomic {
            if
            :: reclaim_where(rtok, fp_of(id), t) && rowlock == 0 ->
                rowlock = id; reclaimed = true; NEXT_TOKEN(newtok, rtok); acquired(id)
            :: else ->
                /* busy: the record changed since it was read (purged, or taken over) */
                assert(!r_ex || r_tok != rtok || !reclaim_where(rtok, fp_of(id), t));
                xlock = 0
            fi
        }
        if :: !reclaimed -> goto attempt :: else -> skip fi
    fi;
    d_step {
        st = 0; rfp = 0; rexp = 0; rl = 0; rtok = 0; rout = 0; ex = false; occ = false;
#ifndef OLD_EXPIRY
        t = 0
#endif
    }
    /* the handler, inside the claim's transaction (Claim.execute): its writes are the effect */
    if
    :: true -> effect = true
    :: true ->
        /* it throws, or answers a status that is not stored: Claim.abandon rolls back, the key is free */
        atomic { xlock = 0; if :: rowlock == id -> rowlock = 0 :: else -> skip fi }
        goto attempt
    fi;
    /* the specification's expiry: a time to live from the moment the outcome is stored */
    spec_exp = now + TTL;
#ifdef OLD_EXPIRY
    exp = t + TTL;
#else
    exp = spec_exp;
#endif
    /* JdbcClaim.complete: insertCompletedAndCommit (INSERT ...; COMMIT in one round trip), or the UPDATE of
       SqlDialect.complete for a reclaimed row and then COMMIT. The commit applies the effect and the record
       together, or (the connection cut, the server gone) nothing. */
    if
    :: true ->
        atomic {
            /* the primary key: the lock made another record impossible */
            assert(!pending || !r_ex);
            assert(!reclaimed || (r_ex && rowlock == id));   /* the purge skipped the row this claim locked */
            check_one_effect(id);
            eff[id] = true; excused[id] = false;
            stored_exp[id] = spec_exp;
            effects++; outcomes++;
            r_ex = true; r_st = DONE; r_fp = fp_of(id); r_exp = exp; r_lease = NONE; r_out = id;
            if :: pending -> NEW_TOKEN(r_tok) :: else -> r_tok = newtok fi;
            r_owner = id;
            xlock = 0; if :: rowlock == id -> rowlock = 0 :: else -> skip fi
        }
        if
        :: true ->                          /* 2xx */
            d_step { told_out = id; told_fp = fp_of(id); told_exp = stored_exp[id]; answer[id] = A_EXECUTED }
            goto fin
        :: true -> goto attempt             /* the answer is lost: the client retries */
        fi
    :: true ->
        /* the COMMIT fails or never arrives: rolled back, the client gets a 5xx or nothing, and retries */
        atomic { xlock = 0; if :: rowlock == id -> rowlock = 0 :: else -> skip fi }
        goto attempt
    fi;

fin:
    finished++
}

/* Every clock tick is allowed: in transaction mode nothing is timed but the record's expiry. */
#define tick_allowed true

#else
/* ------------------------------------------------------------------------------------------------------ */
/* Lease mode: PostgresDialect.claimLease, JdbcLeaseClaim, LeaseRenewals, Idempotency.run                  */
/* ------------------------------------------------------------------------------------------------------ */
proctype Request(byte id) {
    byte att = 0, t, j;
    bool got, inserted, ex, occ, reclaimed, lost, did;
    byte st, rfp, rexp, rl, rtok, rout, tok, exp, spec_exp, lz;

attempt:
    if
    :: att == MAXATT -> answer[id] = A_GAVE_UP; goto fin
    :: else -> skip
    fi;
    d_step {
        att++; got = false; occ = false; inserted = false; reclaimed = false; lost = false; did = false;
        holding[id] = false; stalled[id] = false
    }
    /* tryClaim: WITH claim_lock AS (pg_try_advisory_xact_lock), INSERT ... SELECT ... WHERE acquired
       ON CONFLICT DO NOTHING: one statement, its insert uncommitted until the claim's transaction commits */
    atomic {
        t = now;
        if
        :: xlock == 0 -> xlock = id; got = true; inserted = !r_ex;
            if
            :: inserted -> NEW_TOKEN(tok); lz = now + LEASE_TICKS; pending_lease[id] = lz; acquired(id)
            :: else -> skip
            fi
        :: else -> skip
        fi
    }
    if
    :: !inserted ->
        /* SqlDialect.read, then the decision of claimLease */
        atomic {
            ex = r_ex; st = r_st; rfp = r_fp; rexp = r_exp; rl = r_lease; rtok = r_tok; rout = r_out;
            occ = ex && !reclaimable(st, rfp, rexp, rl, fp_of(id), t);
            if
            :: occ ->
                answer_from_record(fp_of(id), st, rfp, rout);
                /* busy: a live lease, or an expired lease of another request whose record still lives */
                assert(st == DONE || lease_live(rl) || rfp != fp_of(id));
                if :: xlock == id -> xlock = 0 :: else -> skip fi
            :: !occ && got && !ex ->
                /* purged between the insert and the read: INSERT ... ON CONFLICT DO NOTHING */
                inserted = true; NEW_TOKEN(tok); lz = now + LEASE_TICKS; pending_lease[id] = lz; acquired(id)
            :: else -> skip
            fi
        }
        if
        :: answer[id] != A_NONE -> goto fin
        :: occ -> goto attempt
        :: !occ && !got -> goto attempt
        :: inserted -> skip
        :: !occ && got && ex ->
            atomic {
                if
                :: reclaim_where(rtok, fp_of(id), t) && rowlock == 0 ->
                    rowlock = id; reclaimed = true; NEXT_TOKEN(tok, rtok); lz = now + LEASE_TICKS;
                    pending_lease[id] = lz; acquired(id)
                :: else ->
                    assert(!r_ex || r_tok != rtok || !reclaim_where(rtok, fp_of(id), t));
                    xlock = 0
                fi
            }
            if :: !reclaimed -> goto attempt :: else -> skip fi
        fi
    :: else -> skip
    fi;
    d_step { st = 0; rfp = 0; rexp = 0; rl = 0; rtok = 0; rout = 0; ex = false; occ = false }
    /* the claim's transaction commits at once: the in-progress record with its lease, by the database clock */
    atomic {
        assert(!inserted || !r_ex);
        r_ex = true; r_st = IP; r_fp = fp_of(id); r_exp = t + TTL; r_lease = lz; r_tok = tok; r_owner = id;
        pending_lease[id] = 0;
        xlock = 0; if :: rowlock == id -> rowlock = 0 :: else -> skip fi;
        holding[id] = true; tok_of[id] = tok;
        lz = 0;
#ifndef OLD_EXPIRY
        t = 0
#endif
    }
    /* the handler runs, without a transaction; the heartbeat renews the lease until it stops */
    do
    :: atomic {
        /* SqlDialect.renew: UPDATE ... SET lease_expires_at = clock_timestamp() + lease
           WHERE fencing_token = ? AND state = 'IN_PROGRESS', committed on its own. It waits for the row
           lock of another open transaction; a renewal that would change nothing is not a new state, and
           after one that found the lease lost, the heartbeat stops. */
            (rowlock == 0 && !lost && !(r_ex && r_tok == tok && r_st == IP && r_lease == now + LEASE_TICKS)) ->
            if
            :: r_ex && r_tok == tok && r_st == IP -> FENCED_IN(id); r_lease = now + LEASE_TICKS
            :: else -> lost = true
            fi
        }
    :: d_step { !stalled[id] -> stalled[id] = true; excused[id] = true }   /* a pause: heartbeats stop */
    :: !did ->
        /* the external effect (a payment provider called with IdempotencyContext.derivedKey) */
        /* a holder that stalled may have lost its lease without knowing: its effect is the one fencing
           keeps out of the stored outcome, and the derived key out of the downstream */
        atomic {
            if :: !stalled[id] -> check_one_effect(id) :: else -> skip fi;
            eff[id] = true; excused[id] = stalled[id]; effects++; did = true
        }
    :: did -> break
    :: true ->
        /* the handler throws or answers a status that is not stored: JdbcLeaseClaim.abandon,
           SqlDialect.release: DELETE ... WHERE fencing_token = ? AND state = 'IN_PROGRESS' */
        atomic {
            rowlock == 0;
            excused[id] = true; holding[id] = false;
            if :: r_ex && r_tok == tok && r_st == IP -> FENCED_IN(id); r_ex = false; r_lease = NONE :: else -> skip fi
        }
        goto attempt
    :: crashes < MAXCRASH ->
        /* the server dies: nothing rolls back, the record stays leased until its lease runs out */
        atomic { crashes++; excused[id] = true; holding[id] = false }
        goto attempt
    od;
    /* SqlDialect.complete: UPDATE ... SET state = 'COMPLETED', expires_at = ?, lease_expires_at = NULL
       WHERE fencing_token = ? AND state = 'IN_PROGRESS', committed on its own */
    /* the specification's expiry: a time to live from the moment the outcome is stored */
    atomic {
        rowlock == 0;
        spec_exp = now + TTL;
#ifdef OLD_EXPIRY
        exp = t + TTL;
#else
        exp = spec_exp;
#endif
        holding[id] = false;
        if
        :: r_ex && r_tok == tok && r_st == IP ->
            FENCED_IN(id);
            r_st = DONE; r_exp = exp; r_lease = NONE; r_out = id;
            stored_exp[id] = spec_exp; outcomes++
        :: else -> lost = true; excused[id] = true    /* LeaseLostException: 409 lease-lost */
        fi;
        exp = 0; spec_exp = 0; tok = 0
    }
    if
    :: lost -> goto attempt
    :: else -> skip
    fi;
    if
    :: true ->
        d_step { told_out = id; told_fp = fp_of(id); told_exp = stored_exp[id]; answer[id] = A_EXECUTED }
        goto fin
    :: true -> goto attempt                 /* the answer is lost */
    fi;

fin:
    finished++
}

/* A holder whose heartbeat runs keeps its lease alive: LeaseRenewals renews every third of the lease, so
   the clock never passes a live holder's lease before it renewed; and a claim commits within its lease
   (a round trip against a lease of seconds). A stalled or crashed holder has no such protection. */
#define live_holder_ok(i) (i > NREQ || ((!holding[i] || stalled[i] || r_tok != tok_of[i] || r_st != IP \
    || r_lease == NONE || r_lease > now + 1) && (pending_lease[i] == 0 || pending_lease[i] > now + 1)))
#define tick_allowed (live_holder_ok(1) && live_holder_ok(2) && live_holder_ok(3))
#endif

/* The database clock (and the application's: one clock, no skew). */
active proctype Clock() {
end:
    do
    :: atomic { now < MAXT && tick_allowed -> now++ }   /* one step: the guard holds when the clock moves */
    :: finished == NREQ -> break
    od
}

/* RecordPurge / SqlDialect.purge: DELETE ... WHERE expires_at <= ? AND (lease_expires_at IS NULL OR
   lease_expires_at <= clock_timestamp()) ... FOR UPDATE SKIP LOCKED */
active proctype Purge() {
end:
    do
    :: atomic { r_ex && r_exp <= now && (r_lease == NONE || r_lease <= now) && rowlock == 0 ->
           r_ex = false; r_lease = NONE }
    :: finished == NREQ -> break
    od
}

init {
    byte i = 1;
    atomic {
        do
        :: i <= NREQ -> stored_exp[i] = NONE; run Request(i); i++
        :: i > NREQ -> break
        od
    }
}

/* No request waits forever: in every execution every client ends with an answer. */
ltl answered { <> (finished == NREQ) }

#ifndef LEASE_MODE
/* No effect without its stored outcome, and no stored outcome without its effect. */
ltl atomic_outcome { [] (effects == outcomes) }
#endif
