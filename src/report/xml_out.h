/* XML text and attributes, escaped (&, <, >, quotes; control characters dropped). */
#ifndef FIDRUN_XML_OUT_H
#define FIDRUN_XML_OUT_H

#include <stdio.h>

void xml_text(FILE *f, const char *s);
void xml_attr(FILE *f, const char *name, const char *value); /* ` name="value"` */

#endif
