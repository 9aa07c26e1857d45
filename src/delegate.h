/*-------------------------------------------------------------------------
 *
 * delegate.h
 *	  The delegate tier: which tailnets a role may act in.
 *
 * Copyright (c) 2026, auth_keys developers
 *
 * src/delegate.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef DELEGATE_H
#define DELEGATE_H

extern void DelegateRequireTailnet(const char *tailnet);

#endif							/* DELEGATE_H */
